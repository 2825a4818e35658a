/* console-run.exe COMMAND...: runs COMMAND in this Windows console as a shell would, then
 * reports what a person at that console would notice next. For the CLI's console tests
 * under Wine (scripts/wine-tests.sh, cli/tests/windows_console.rs).
 *
 * - "[echo off]" once the console stops echoing what is typed (a hidden prompt is
 *   waiting): the test types its secret only then, as the Unix tests wait for -echo.
 * - "EXIT=N" when COMMAND ends, and "ECHO=on" or "ECHO=off": whether the console echoes
 *   again for whatever runs next in it (cmd.exe does not reset the mode of its console).
 *
 * Ctrl-C reaches every process of the console; this one stays to report, as a shell does.
 */
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

static BOOL WINAPI stay(DWORD event) { (void)event; return TRUE; }

static HANDLE console_input(void) {
  return CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                     OPEN_EXISTING, 0, NULL);
}

static BOOL echoing(HANDLE input) {
  DWORD mode = 0;
  return GetConsoleMode(input, &mode) && (mode & ENABLE_ECHO_INPUT);
}

int main(void) {
  /* The command line after this program's own name, quoted or not. */
  const wchar_t *line = GetCommandLineW();
  if (*line == L'"') { line = wcschr(line + 1, L'"'); line = line ? line + 1 : L""; }
  else { while (*line && *line != L' ' && *line != L'\t') line++; }
  while (*line == L' ' || *line == L'\t') line++;
  if (!*line) { fprintf(stderr, "usage: console-run COMMAND...\n"); return 2; }
  wchar_t *command = _wcsdup(line);

  SetConsoleCtrlHandler(stay, TRUE);
  HANDLE input = console_input();
  if (input == INVALID_HANDLE_VALUE) { fprintf(stderr, "console-run: no console\n"); return 2; }

  STARTUPINFOW startup = { sizeof startup };
  PROCESS_INFORMATION child;
  if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child)) {
    fprintf(stderr, "console-run: cannot start the command (error %lu)\n", GetLastError());
    return 2;
  }
  BOOL told = FALSE;
  while (WaitForSingleObject(child.hProcess, 10) == WAIT_TIMEOUT) {
    if (!told && !echoing(input)) {
      printf("[echo off]");
      fflush(stdout);
      told = TRUE;
    }
  }
  DWORD status = 0;
  GetExitCodeProcess(child.hProcess, &status);
  printf("\nEXIT=%lu\nECHO=%s\n", status, echoing(input) ? "on" : "off");
  return 0;
}
