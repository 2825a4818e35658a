/* credentials.exe: the generic credentials in the Windows Credential Manager, as another
 * program of the same user sees them. For cli/tests/credential_manager.rs under Wine.
 *
 *   credentials.exe list              one line per credential: TARGET, a tab, the secret's
 *                                     bytes in hex (lower case)
 *   credentials.exe write TARGET HEX  stores a generic credential with those bytes, as
 *                                     another program could
 */
#include <windows.h>
#include <wincred.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static int list(void) {
  DWORD count = 0;
  PCREDENTIALW *found = NULL;
  if (!CredEnumerateW(NULL, 0, &count, &found)) {
    if (GetLastError() == ERROR_NOT_FOUND) return 0;
    fprintf(stderr, "credentials: cannot list (error %lu)\n", GetLastError());
    return 1;
  }
  for (DWORD i = 0; i < count; i++) {
    if (found[i]->Type != CRED_TYPE_GENERIC) continue;
    printf("%ls\t", found[i]->TargetName);
    for (DWORD b = 0; b < found[i]->CredentialBlobSize; b++) printf("%02x", found[i]->CredentialBlob[b]);
    printf("\n");
  }
  CredFree(found);
  return 0;
}

static int write(wchar_t *target, const wchar_t *hex) {
  size_t length = wcslen(hex) / 2;
  BYTE *bytes = malloc(length ? length : 1);
  for (size_t i = 0; i < length; i++) bytes[i] = (BYTE)wcstoul((wchar_t[]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16);
  CREDENTIALW credential = { 0 };
  credential.Type = CRED_TYPE_GENERIC;
  credential.TargetName = target;
  credential.CredentialBlobSize = (DWORD)length;
  credential.CredentialBlob = bytes;
  credential.Persist = CRED_PERSIST_LOCAL_MACHINE;
  if (!CredWriteW(&credential, 0)) {
    fprintf(stderr, "credentials: cannot write (error %lu)\n", GetLastError());
    return 1;
  }
  return 0;
}

int main(void) {
  int count = 0;
  wchar_t **args = CommandLineToArgvW(GetCommandLineW(), &count);
  if (args && count == 2 && wcscmp(args[1], L"list") == 0) return list();
  if (args && count == 4 && wcscmp(args[1], L"write") == 0) return write(args[2], args[3]);
  fprintf(stderr, "usage: credentials list | credentials write TARGET HEX\n");
  return 2;
}
