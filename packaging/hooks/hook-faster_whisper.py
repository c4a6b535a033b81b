# The Silero VAD model (assets/*.onnx) is read from the package folder.
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("faster_whisper")
