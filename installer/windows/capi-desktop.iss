; Inno Setup script for CAPI Desktop: a per-user install (no administrator rights), Start-menu shortcut,
; optional desktop shortcut, uninstaller in "Apps & features".
; Build (build-windows.ps1 does this): iscc /DAppVersion=0.1.0 installer\windows\capi-desktop.iss
; after PyInstaller has written build\pyinstaller\dist\capi-desktop\.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z capi-desktop.iss
#endif
#define AppName "CAPI Desktop"
#define AppExe "capi-desktop.exe"
#define Root "..\.."

[Setup]
; Never change AppId: Windows uses it to recognise upgrades and the uninstaller.
AppId={{495008DC-AB9A-4ACB-BB8C-A985E9CAF2D4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=CAPI Desktop
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=capi-desktop-{#AppVersion}-windows-setup
SetupIconFile={#Root}\build\icons\capi-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\build\pyinstaller\dist\capi-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
