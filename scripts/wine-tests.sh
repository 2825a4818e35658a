#!/usr/bin/env bash
# Windows, run: builds skytells.exe for x86_64-pc-windows-gnu and runs the CLI's
# integration tests that make sense there against it under Wine, from this Linux host.
# The tests are the Linux ones (cli/tests), compiled for the host; SKYTELLS_TEST_BIN points
# them at a script that runs the Windows binary under Wine. The emulator they start runs
# natively on 127.0.0.1, where the Windows binary reaches it like any other program.
# Which tests run here and why the others do not: RELIABILITY.md, "Windows under Wine".
#
#   scripts/wine-tests.sh          build, prepare Wine, run the tests
#   scripts/wine-tests.sh build    only build skytells.exe and prepare Wine (what .ci/run
#                                  does in the background while the Linux tests run)
#   scripts/wine-tests.sh run      only run the tests (after `build`)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step=${1:-all}
source scripts/cross-env.sh

windows=x86_64-pc-windows-gnu
exe="$cross_target_dir/$windows/debug/skytells.exe"
wine_dir="$cross_target_dir/wine"
export WINEPREFIX="$wine_dir/prefix" WINEDEBUG=-all
wrapper="$wine_dir/skytells"
console_run="$wine_dir/console-run"
hold_open="$wine_dir/hold-open"
credentials="$wine_dir/credentials"
runner="$wine_dir/wine"
store_tests_list="$wine_dir/store-tests"

# The CLI tests that run against skytells.exe: name filters given to the test harness
# with --exact, one per line, as `test-file::test-name`.
wine_tests="
login::device_login_shows_the_code_opens_the_browser_and_saves_the_token
login::a_pasted_token_is_checked_with_the_api_then_saved
login::a_denied_login_saves_nothing
login::a_malformed_token_is_refused_before_any_request_without_echoing_it
login::a_token_kept_in_the_credential_manager_reads_back_as_the_same_text
login::without_browser_set_the_page_opens_through_the_systems_own_handler
windows_console::in_a_windows_console_the_pasted_token_is_not_shown_and_echo_is_back_after
windows_console::ctrl_c_at_the_hidden_prompt_in_a_windows_console_exits_130_and_gives_the_console_its_echo_back
windows_files::a_file_another_program_holds_open_is_retried_then_reported_unchanged_and_written_once_released
windows_files::a_writer_waiting_for_a_lock_another_program_holds_gives_up_in_bounded_time_and_says_where_to_look
windows_files::a_logout_while_another_program_holds_the_file_is_retried_then_reported_and_finishes_once_released
environment::variable_names_are_matched_regardless_of_case_on_windows_and_exactly_elsewhere
login::a_browser_named_by_a_path_with_spaces_and_a_drive_letter_is_started
credential_manager::a_token_and_a_key_kept_in_the_credential_manager_leave_only_markers_in_the_file_and_move_back
credential_manager::what_the_credential_manager_holds_is_checked_like_what_the_file_holds
environment::without_home_the_config_folder_is_under_the_windows_profile_folder_and_elsewhere_an_error
environment::a_token_with_surrounding_whitespace_is_trimmed_once_and_used_as_checked
link_whoami_logout::link_verifies_the_key_and_stores_it_beside_the_token_keeping_unknown_fields
link_whoami_logout::whoami_names_the_account_and_where_each_credential_came_from
link_whoami_logout::whoami_json_follows_the_documented_schema
link_whoami_logout::environment_beats_the_file_and_empty_variables_count_as_unset
link_whoami_logout::logout_without_a_terminal_needs_force
credentials_file::a_corrupt_file_is_kept_aside_not_silently_overwritten
reliability::concurrent_links_and_logins_all_succeed_and_leave_one_valid_file
api_origins::a_file_in_the_node_cli_format_is_the_default_apis_and_stays_readable_by_it
"

build() {
  echo "== skytells.exe and the store's unit tests for $windows (at $((SECONDS - started)) s)"
  mkdir -p "$wine_dir"
  # One cargo run builds both, so that the standard library (with `test`) and the
  # dependencies are built once: skytells.exe as the binary a CLI test file needs
  # (signals.rs, which is Unix-only and compiles to nothing here), and the store's
  # Windows-only unit tests (src/windows.rs), run below.
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    debian_cargo test -Zbuild-std --target "$windows" --no-run \
    -p skytells-cli --test signals -p skytells-auth-store --lib \
    2>"$wine_dir/store-tests.log" || { cat "$wine_dir/store-tests.log" >&2; exit 1; }
  [ -x "$exe" ] || { echo "$exe was not built" >&2; exit 1; }
  # Rust's standard library imports ProcessPrng from bcryptprimitives.dll, which Wine 8
  # lacks, so no Rust program starts. This DLL, placed beside the exe (searched first),
  # provides it through RtlGenRandom (advapi32's SystemFunction036), which Wine has.
  cat >"$wine_dir/bcryptprimitives.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
C
  x86_64-w64-mingw32-gcc -shared -O2 -o "$(dirname "$exe")/bcryptprimitives.dll" \
    "$wine_dir/bcryptprimitives.c" -ladvapi32
  echo "== Wine prefix (at $((SECONDS - started)) s)"
  [ -f "$WINEPREFIX/system.reg" ] || /usr/lib/wine/wine64 wineboot --init
  # What the tests run as `skytells`: the test harness clears the environment, so the
  # Wine settings are written into the script. The native DLL beside the exe is preferred
  # to Wine's own bcryptprimitives.
  cat >"$runner" <<SH
#!/bin/sh
export WINEPREFIX='$WINEPREFIX' WINEDEBUG=-all WINEDLLOVERRIDES='bcryptprimitives=n,b'
exec /usr/lib/wine/wine64 "\$@"
SH
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$runner" "$exe" >"$wrapper"
  # The console tests' shell stand-in (cli/tests/windows_console.rs): runs skytells.exe in
  # the console, then reports its status and whether the console echoes again.
  x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$(dirname "$exe")/console-run.exe" scripts/wine/console-run.c
  printf '#!/bin/sh\nexec %q %q %q "$@"\n' "$runner" "$(dirname "$exe")/console-run.exe" "$exe" >"$console_run"
  # And a program that holds a file open as an editor may, or locked as a writer does
  # (cli/tests/windows_files.rs).
  x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$(dirname "$exe")/hold-open.exe" scripts/wine/hold-open.c -lshell32
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$runner" "$(dirname "$exe")/hold-open.exe" >"$hold_open"
  # And one that lists and plants Credential Manager entries (cli/tests/credential_manager.rs).
  x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$(dirname "$exe")/credentials.exe" scripts/wine/credentials.c \
    -lshell32 -ladvapi32
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$runner" "$(dirname "$exe")/credentials.exe" >"$credentials"
  chmod +x "$runner" "$wrapper" "$console_run" "$hold_open" "$credentials"
  # Where cargo put the store's tests, relative to the repository when cargo says so.
  sed -n 's/.*Executable unittests src\/lib.rs (\(.*\))$/\1/p' "$wine_dir/store-tests.log" |
    sed "s|^\([^/]\)|$repo_root/\1|" >"$store_tests_list"
  [ -s "$store_tests_list" ] || { echo "the store's test executable was not found" >&2; exit 1; }
  cp "$(dirname "$exe")/bcryptprimitives.dll" "$(dirname "$(cat "$store_tests_list")")/"
  # Fails here, not in every test, when the exe cannot start under Wine.
  "$wrapper" --version
  # The Wine server the steps above started lingers a few seconds: wait for its end, as
  # `run` starts one of its own.
  /usr/lib/wine/wineserver -w
}

run() {
  echo "== the CLI's tests against skytells.exe under Wine (at $((SECONDS - started)) s)"
  # One Wine server for the whole run, rather than one started (and lingering) per test.
  # A server the build's last `--version` started ends on its own a few seconds after
  # that program: wait for it first.
  /usr/lib/wine/wineserver -w
  /usr/lib/wine/wineserver -p || {
    echo "cannot start a Wine server: is one running for $WINEPREFIX? (WINEPREFIX=$WINEPREFIX wineserver -k)" >&2
    exit 1
  }
  trap '/usr/lib/wine/wineserver -k' EXIT
  # Wine's own services (services.exe, winedevice.exe, …) start with the first program
  # and live as long as the server. Started by a test's command, they would inherit its
  # output pipes and keep them open, so the test would wait for their end forever; so
  # they are started here, with their output going nowhere.
  "$wrapper" --version </dev/null >/dev/null 2>&1
  for file in $(printf '%s\n' $wine_tests | cut -d: -f1 | sort -u); do
    names=$(printf '%s\n' $wine_tests | sed -n "s/^$file:://p")
    # shellcheck disable=SC2086 # one argument per test name
    # A hang fails the run here rather than at CI's hard limit.
    SKYTELLS_TEST_BIN="$wrapper" SKYTELLS_TEST_CONSOLE_RUN="$console_run" SKYTELLS_TEST_HOLD_OPEN="$hold_open" SKYTELLS_TEST_CREDENTIALS="$credentials" timeout 300 cargo test -q -p skytells-cli --test "$file" -- --exact --include-ignored $names
  done
  echo "== the store's Windows unit tests under Wine (at $((SECONDS - started)) s)"
  (cd store && timeout 120 "$runner" "$(cat "$store_tests_list")" windows::)
  echo "== Wine tests done (at $((SECONDS - started)) s)"
}

case "$step" in
  build) build ;;
  run) run ;;
  all) build && run ;;
  *) echo "usage: $0 [build|run]" >&2; exit 2 ;;
esac
