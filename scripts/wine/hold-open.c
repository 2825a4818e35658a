/* hold-open.exe [--lock] PATH: opens PATH as an editor or a virus scanner may (others can
 * read it, but not write, delete or rename over it), or with --lock as another writer
 * holding the lock does (shared open, an exclusive LockFileEx on it), prints "held", and
 * keeps it until its standard input ends. For cli/tests/windows_files.rs under Wine,
 * whose server enforces Windows sharing modes and locks between Windows programs. */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <wchar.h>

int main(void) {
  int count = 0;
  wchar_t **args = CommandLineToArgvW(GetCommandLineW(), &count);
  BOOL lock = count == 3 && wcscmp(args[1], L"--lock") == 0;
  if (!args || count != 2 + lock) { fprintf(stderr, "usage: hold-open [--lock] PATH\n"); return 2; }
  DWORD share = lock ? FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE : FILE_SHARE_READ;
  HANDLE file = CreateFileW(args[1 + lock], GENERIC_READ | (lock ? GENERIC_WRITE : 0), share, NULL,
                            lock ? OPEN_ALWAYS : OPEN_EXISTING, 0, NULL);
  if (file == INVALID_HANDLE_VALUE) { fprintf(stderr, "hold-open: error %lu\n", GetLastError()); return 1; }
  OVERLAPPED whole = { 0 };
  if (lock && !LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &whole)) {
    fprintf(stderr, "hold-open: cannot lock (error %lu)\n", GetLastError());
    return 1;
  }
  printf("held\n");
  fflush(stdout);
  char buffer[64];
  DWORD read;
  while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buffer, sizeof buffer, &read, NULL) && read > 0) {}
  CloseHandle(file);
  return 0;
}
