; Inno Setup 6 script: per-user installer for Mashups Studio (no administrator rights).
;
;   iscc /DAppVersion=0.1.0 /DBundleDir=..\..\dist\mashups /DOutputDir=..\..\dist packaging\windows\mashups-studio.iss
;
; (packaging/windows/build.ps1 passes these.) Installs the PyInstaller one-folder
; bundle into %LOCALAPPDATA%\Programs\Mashups Studio, adds a Start-menu entry
; (and an optional desktop icon), associates .mashup with the studio, offers
; "Open in Mashups Studio" on folders named *.mashup (projects are folders),
; and optionally puts `mashups` on the user's PATH. The uninstaller removes
; the program and keeps songs, projects, models, settings and logs unless the
; user ticks the box it shows (a silent uninstall always keeps them).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\mashups"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef Arch
  #define Arch "x64"
#endif

[Setup]
AppId={{6F1C3B52-9E0A-4E53-9C1B-2A7D5E4F8A10}
AppName=Mashups Studio
AppVersion={#AppVersion}
AppVerName=Mashups Studio {#AppVersion}
AppPublisher=Mashups
AppPublisherURL=https://mashups.studio
DefaultDirName={autopf}\Mashups Studio
DefaultGroupName=Mashups Studio
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed={#Arch}compatible
ArchitecturesInstallIn64BitMode={#Arch}compatible
ChangesAssociations=yes
ChangesEnvironment=yes
LicenseFile=..\..\LICENSE
SetupIconFile=..\icons\mashups.ico
UninstallDisplayIcon={app}\mashups-studio.exe
OutputDir={#OutputDir}
OutputBaseFilename=mashups-studio-{#AppVersion}-windows-{#Arch}-setup
Compression=lzma2/ultra64
SolidCompression=yes
LZMANumBlockThreads=4
WizardStyle=modern
#ifdef Spanning
; The NVIDIA flavour (CUDA torch) is ~3 GB: GitHub refuses release assets over 2 GiB,
; so setup.exe comes with .bin slices of at most 1.9 GB beside it.
DiskSpanning=yes
DiskSliceSize=1900000000
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the ""mashups"" command to my PATH"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Mashups Studio"; Filename: "{app}\mashups-studio.exe"
Name: "{group}\Uninstall Mashups Studio"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Mashups Studio"; Filename: "{app}\mashups-studio.exe"; Tasks: desktopicon

[Registry]
; .mashup -> Mashups Studio (HKA = the current user's classes in a per-user install)
Root: HKA; Subkey: "Software\Classes\.mashup"; ValueType: string; ValueName: ""; ValueData: "MashupsStudio.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\MashupsStudio.Project"; ValueType: string; ValueName: ""; ValueData: "Mashups Studio project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\MashupsStudio.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\mashups-studio.exe,0"
Root: HKA; Subkey: "Software\Classes\MashupsStudio.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\mashups-studio.exe"" ""%1"""
; Projects are folders named *.mashup: an "Open in Mashups Studio" verb shown only on those folders.
Root: HKA; Subkey: "Software\Classes\Directory\shell\MashupsStudio.Open"; ValueType: string; ValueName: ""; ValueData: "Open in Mashups Studio"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Directory\shell\MashupsStudio.Open"; ValueType: string; ValueName: "AppliesTo"; ValueData: "System.FileName:""*.mashup"""
Root: HKA; Subkey: "Software\Classes\Directory\shell\MashupsStudio.Open"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\mashups-studio.exe,0"
Root: HKA; Subkey: "Software\Classes\Directory\shell\MashupsStudio.Open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\mashups-studio.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\mashups-studio.exe\SupportedTypes"; ValueType: string; ValueName: ".mashup"; ValueData: ""; Flags: uninsdeletekey
; `mashups` on the user's PATH (optional task)
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\mashups-studio.exe"; Description: "{cm:LaunchProgram,Mashups Studio}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
    Paths := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure RemoveFromPath(Dir: string);
var
  Paths: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
    exit;
  P := Pos(';' + Uppercase(Dir), Uppercase(Paths));
  if P > 0 then
  begin
    Delete(Paths, P, Length(Dir) + 1);
    RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths);
  end;
end;

{ User data lives where platformdirs puts it for appauthor "Mashups", appname "MashupsStudio":
  %LOCALAPPDATA%\Mashups\MashupsStudio (data, models, Cache, Logs). }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: string;
begin
  if CurUninstallStep = usUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\Mashups\MashupsStudio');
    if DirExists(DataDir) and not UninstallSilent() then
      if MsgBox('Also delete your Mashups Studio library, projects, downloaded models, settings and logs?' + #13#10 + #13#10 +
                DataDir + #13#10 + #13#10 + 'Choose No to keep them for a later install.',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
