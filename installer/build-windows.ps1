# Windows: freeze the app (one folder) and build dist\capi-desktop-VERSION-windows-setup.exe with Inno Setup.
# Needs Python with the app and PyInstaller installed ($env:PYTHON, default "python") and Inno Setup 6
# (iscc on PATH, or in its default folder).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$version = (& $python -c "import capi_desktop; print(capi_desktop.__version__)").Trim()
if ($LASTEXITCODE -ne 0) { throw "Could not read the app version." }

& $python installer\make_ico.py
if ($LASTEXITCODE -ne 0) { throw "Making the icon failed." }
& $python -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath build\pyinstaller\dist --workpath build\pyinstaller\work installer\capi-desktop.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed." }

$iscc = Get-Command iscc -ErrorAction SilentlyContinue
$iscc = if ($iscc) { $iscc.Source } else { "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" installer\windows\capi-desktop.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed." }
Get-ChildItem dist\capi-desktop-$version-windows-setup.exe | ForEach-Object { "{0}  {1:N1} MB" -f $_.Name, ($_.Length / 1MB) }
