# Overrides the contrib hook: librosa's numba functions use ``cache=True``, and
# numba refuses to decorate them (RuntimeError "no locator available") when the
# module's .py source is missing, as it is in a PYZ. Collecting the sources
# beside the bytecode lets numba cache in the user's cache folder.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

datas = collect_data_files("librosa", excludes=["**/__pycache__"])
hiddenimports = collect_submodules("librosa")
module_collection_mode = "pyz+py"
