// rlsh: the vtysh-style shell, a thin gRPC client of bgpd (and later bfdd) over the unix
// sockets in the run dir. `rlsh -c "show bgp summary"` runs commands and exits; with no -c it
// reads commands interactively (libedit).
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <histedit.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/grammar.h"
#include "ridgeline/version.h"

namespace {

ridgeline::cli::Shell* g_shell = nullptr;
std::string g_prompt;

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The choices after the complete words before the cursor, and the partial word being typed.
std::vector<ridgeline::cli::Choice> choices_at_point(EditLine* el, std::string& partial) {
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  auto typed = words_of(before);
  partial.clear();
  if (!before.empty() && before.back() != ' ' && !typed.empty()) {
    partial = typed.back();
    typed.pop_back();
  }
  std::string mode = g_shell->mode();
  if (!typed.empty() && typed[0] == "do" && !mode.empty()) {
    typed.erase(typed.begin());
    mode.clear();
  }
  std::vector<ridgeline::cli::Choice> out;
  for (auto& c : ridgeline::cli::next_words(mode, typed, g_shell->names())) {
    if (c.word.rfind(partial, 0) == 0 || c.word[0] == '<') out.push_back(std::move(c));
  }
  return out;
}

void list(const std::vector<ridgeline::cli::Choice>& choices) {
  std::cout << "\n";
  for (const auto& c : choices)
    std::cout << "  " << c.word << std::string(c.word.size() < 24 ? 24 - c.word.size() : 1, ' ') << c.help << "\n";
  if (choices.empty()) std::cout << "% There is no matched command.\n";
  std::cout.flush();
}

// `?`: what may come next, with help, as vtysh shows it; the line stays as typed.
unsigned char help(EditLine* el, int) {
  std::string partial;
  list(choices_at_point(el, partial));
  return CC_REDISPLAY;
}

// Tab: a unique word is completed (with a space); several are completed as far as they agree,
// then listed. Placeholders are described, never inserted.
unsigned char complete(EditLine* el, int) {
  std::string partial;
  const auto choices = choices_at_point(el, partial);
  std::vector<std::string> words;
  for (const auto& c : choices) {
    if (c.word[0] != '<') words.push_back(c.word);
  }
  if (words.empty()) {
    if (!choices.empty()) list(choices);
    return choices.empty() ? CC_REFRESH_BEEP : CC_REDISPLAY;
  }
  std::string common = words[0];
  for (const auto& w : words) {
    size_t i = 0;
    while (i < common.size() && i < w.size() && common[i] == w[i]) ++i;
    common.resize(i);
  }
  std::string insert = common.substr(partial.size());
  if (words.size() == 1) insert += " ";
  if (!insert.empty()) {
    el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  list(choices);
  return CC_REDISPLAY;
}

const char* prompt(EditLine*) {
  return g_prompt.c_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Ridgeline shell"};
  ridgeline::cli::ApiTarget target;
  std::vector<std::string> commands;
  app.add_option("--run-dir", target.run_dir, "directory of the daemons' gRPC sockets")->capture_default_str();
  app.add_option("--bgpd", target.bgpd_address, "reach bgpd's API on HOST:PORT (TLS) instead of its socket");
  app.add_option("--bfdd", target.bfdd_address, "reach bfdd's API on HOST:PORT (TLS) instead of its socket");
  app.add_option("--tls-ca", target.tls_ca, "PEM CA of the daemons' certificates")->check(CLI::ExistingFile);
  app.add_option("--tls-cert", target.tls_cert, "PEM client certificate")->check(CLI::ExistingFile);
  app.add_option("--tls-key", target.tls_key, "PEM key of the client certificate")->check(CLI::ExistingFile);
  app.add_option("--tls-server-name", target.tls_server_name, "name to check in the daemons' certificates");
  app.add_flag("--insecure", target.insecure, "plaintext TCP, for daemons run with --grpc-insecure");
  app.add_option("-c", commands, "run COMMAND and exit (repeatable)");
  app.set_version_flag("--version", std::string("rlsh (ridgeline) ") + ridgeline::kVersion);
  CLI11_PARSE(app, argc, argv);
  ::setenv("GRPC_VERBOSITY", "NONE", 0);  // rlsh says why a call failed; gRPC's own log is noise here

  ridgeline::cli::Shell shell(target);
  if (!commands.empty()) {
    int status = 0;
    for (const auto& c : commands) status |= shell.run(c, std::cout, std::cerr);
    return status;
  }
  g_shell = &shell;
  const std::string host = shell.hostname();
  // libedit's own interface: its readline emulation cannot bind `?` to a function.
  EditLine* el = el_init("rlsh", stdin, stdout, stderr);
  History* hist = history_init();
  HistEvent ev;
  history(hist, &ev, H_SETSIZE, 1000);
  // History survives the session, as vtysh's: ~/.rlsh_history.
  const char* home = std::getenv("HOME");
  const std::string history_file = home ? std::string(home) + "/.rlsh_history" : "";
  if (!history_file.empty()) history(hist, &ev, H_LOAD, history_file.c_str());
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_HIST, history, hist);
  el_set(el, EL_PROMPT, prompt);
  el_set(el, EL_ADDFN, "rlsh-help", "list what may come next", help);
  el_set(el, EL_ADDFN, "rlsh-complete", "complete the word", complete);
  el_set(el, EL_BIND, "?", "rlsh-help", nullptr);
  el_set(el, EL_BIND, "^I", "rlsh-complete", nullptr);
  el_source(el, nullptr);  // ~/.editrc, as every libedit program
  while (true) {
    const std::string mode = shell.mode();
    g_prompt = host + (mode.empty() ? "" : "(" + mode + ")") + "# ";
    int count = 0;
    const char* line = el_gets(el, &count);
    if (!line || count <= 0) break;
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (mode.empty() && (text == "exit" || text == "quit")) break;
    if (text.find_first_not_of(' ') == std::string::npos) continue;
    history(hist, &ev, H_ENTER, text.c_str());
    if (!history_file.empty()) history(hist, &ev, H_SAVE, history_file.c_str());
    shell.run(text, std::cout, std::cout);
    std::cout.flush();
  }
  history_end(hist);
  el_end(el);
  return 0;
}
