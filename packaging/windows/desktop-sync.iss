; Inno Setup 6 script for desktop-sync: packs the one-folder PyInstaller build.
; Saved as UTF-8 with a byte-order mark, which is how Inno Setup knows it is UTF-8 (the
; Russian texts below); without the mark it would read the file in the ANSI code page.
; Built by `python packaging/build.py --installer`, which passes:
;   /DAppVersion=<version from pyproject.toml, e.g. 0.2.0rc1>
;   /DAppNumericVersion=<the same as four numbers, e.g. 0.2.0.0: Windows' file version>
;   /DSourceDir=<packaging\dist\desktop-sync>
;   /DIconFile=<packaging\build\desktop-sync.ico>
; Per-user install by default (no administrator rights: an accountant's PC), with
; "install for all users" offered by the elevation dialog. Uninstall removes the
; program files only: profiles, the journal and logs (in %APPDATA% / %LOCALAPPDATA%)
; and keyring secrets are the user's data and are kept.

#ifndef AppVersion
  #error AppVersion must be given: iscc /DAppVersion=0.1.0 ...
#endif
#ifndef AppNumericVersion
  ; VersionInfoVersion takes numbers only: a pre-release (0.2.0rc1) would be refused.
  #define AppNumericVersion "0.0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\desktop-sync"
#endif
#ifndef IconFile
  #define IconFile "..\build\desktop-sync.ico"
#endif

#define AppName "desktop-sync"
#define AppPublisher "desktop-sync team"
#define GuiExe "desktop-sync-gui.exe"
#define CliExe "desktop-sync.exe"

[Setup]
; A fixed AppId: upgrades replace the earlier version instead of installing twice.
AppId={{6C1B3C52-8E8B-4E0A-9B7F-3D2B1C5A9E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductTextVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
ChangesEnvironment=yes

[Languages]
Name: "russian"; MessagesFile: "compiler:Languages\Russian.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
russian.AddToPath=Добавить desktop-sync в PATH (командная строка, запланированные задания)
english.AddToPath=Add desktop-sync to PATH (command line, scheduled tasks)
russian.DemoShortcut=демонстрация
english.DemoShortcut=demo

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "{cm:AddToPath}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the program folder's libraries whole: files of the earlier
; version that this one no longer has (an old Qt plugin, a removed module) would
; otherwise pile up in _internal and could be loaded by mistake.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; The Start-menu shortcut opens the window (no console); the uninstaller gets one too.
Name: "{group}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"
Name: "{group}\{#AppName} ({cm:DemoShortcut})"; Filename: "{app}\{#GuiExe}"; Parameters: "demo"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; Optional: the console executable on the user's PATH (HKCU, no admin rights needed).
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; PyInstaller's one-folder build leaves nothing else behind; logs and data are the user's.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Path, Entry: string;
  P: Integer;
begin
  { Undo the optional PATH entry; everything else Inno Setup logged and removes itself. }
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    exit;
  Entry := ';' + ExpandConstant('{app}');
  P := Pos(Uppercase(Entry), Uppercase(Path));
  if P > 0 then
  begin
    Delete(Path, P, Length(Entry));
    RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path);
  end;
end;
