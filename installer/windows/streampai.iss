; Inno Setup script for Streampai Desktop (Windows): a per-user install that needs no admin rights.
;
;   .venv\Scripts\python installer\build.py --package
; or, after installer\build.py:
;   iscc /DAppVersion=0.1.0 installer\windows\streampai.iss
;
; The version comes from streampai_desktop/__init__.py through /DAppVersion (build.py passes it).
; Output: dist\streampai-desktop-VERSION-windows-setup.exe

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (installer\build.py --package does this)
#endif

#define AppName "Streampai Desktop"
#define AppExe "streampai-desktop.exe"
#define Root "..\.."

[Setup]
; A fixed AppId ties updates and the uninstaller to this app: never change it.
AppId={{6F1D8C2A-3B57-4E8B-9C1D-5A7E2F4B9D10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Streampai
AppPublisherURL=https://streampai.com
AppSupportURL=https://streampai.com
; Per user, no UAC prompt: %LOCALAPPDATA%\Programs\Streampai Desktop
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir={#Root}\dist
OutputBaseFilename=streampai-desktop-{#AppVersion}-windows-setup
SetupIconFile={#Root}\build\icons\streampai.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Closing the running app before files are replaced (it holds its DLLs open).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start {#AppName} when I sign in to Windows"; GroupDescription: "Startup:"; Flags: unchecked

[Files]
Source: "{#Root}\dist\streampai-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The same value the app's "Start with my computer" setting writes (streampai_desktop/autostart.py),
; so the checkbox in the app and this task agree. Removed on uninstall.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "Streampai Desktop"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The app's own files only: the streamer's data folder (%APPDATA%\Streampai) is theirs to keep.
Type: filesandordirs; Name: "{app}\_internal"

[UninstallRun]
; The autostart value may also have been set from inside the app.
Filename: "{sys}\reg.exe"; Parameters: "delete HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v ""Streampai Desktop"" /f"; Flags: runhidden; RunOnceId: "RemoveAutostart"
