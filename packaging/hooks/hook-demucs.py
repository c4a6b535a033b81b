# demucs reads its model list at run time (remote/files.txt, remote/*.yaml), and
# unpickles model classes by name from saved packages.
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("demucs", includes=["remote/*.yaml", "remote/*.txt"])
hiddenimports = [
    "demucs.apply",
    "demucs.demucs",
    "demucs.hdemucs",
    "demucs.htdemucs",
    "demucs.pretrained",
    "demucs.repo",
    "demucs.states",
]
