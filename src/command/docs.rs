//! `pgvet completions SHELL` and `pgvet man`: the shell completion scripts (clap_complete) and
//! the manual pages (clap_mangen), generated from the same clap definition the binary parses,
//! so they can never fall behind its flags.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit;

/// The completion script for `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pgvet", &mut script);
    script
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(&completion_script(args.shell))
        .and_then(|()| out.flush())
        .context("writing the completion script to stdout")?;
    Ok(exit::PASS)
}

/// pgvet's command tree as the manual pages describe it: built, so that each subcommand's
/// name on its page is `pgvet check`, and without the `help` subcommand.
fn command_tree() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// The manual page of pgvet itself (`None`) or of one of its commands, as roff.
pub fn man_page(command: Option<&str>) -> Result<Vec<u8>, exit::UsageError> {
    let tree = command_tree();
    let page = match command {
        None => tree,
        Some(name) => tree
            .get_subcommands()
            .find(|c| c.get_name() == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = tree.get_subcommands().map(|c| c.get_name()).collect();
                exit::UsageError(format!(
                    "pgvet has no command `{name}`; its commands are {}",
                    names.join(", ")
                ))
            })?,
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("pgvet {}", env!("CARGO_PKG_VERSION")))
        .manual("pgvet manual")
        .render(&mut roff)
        .expect("writing to memory does not fail");
    Ok(roff)
}

/// The name of each page's file: pgvet.1, then pgvet-check.1, … in the order of the commands.
pub fn man_files() -> Vec<(String, Option<String>)> {
    let tree = command_tree();
    let commands = tree.get_subcommands().map(|c| {
        let name = c.get_name().to_string();
        (format!("pgvet-{name}.1"), Some(name))
    });
    std::iter::once(("pgvet.1".to_string(), None))
        .chain(commands)
        .collect()
}

pub fn man(args: &ManArgs) -> anyhow::Result<u8> {
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = man_files();
        for (file, command) in &files {
            let path = dir.join(file);
            std::fs::write(&path, man_page(command.as_deref())?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let names: Vec<&str> = files.iter().map(|(file, _)| file.as_str()).collect();
        eprintln!("pgvet: wrote {} into {}", names.join(", "), dir.display());
        return Ok(exit::PASS);
    }
    let page = man_page(args.command.as_deref())?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)
        .and_then(|()| out.flush())
        .context("writing the manual page to stdout")?;
    Ok(exit::PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command (pgvet itself first) with its flags and positional arguments.
    fn commands() -> Vec<(Option<String>, clap::Command)> {
        let tree = command_tree();
        let mut all = vec![(None, tree.clone())];
        for sub in tree.get_subcommands() {
            all.push((Some(sub.get_name().to_string()), sub.clone()));
        }
        all
    }

    fn flags(command: &clap::Command) -> Vec<String> {
        command
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    }

    #[test]
    fn every_flag_of_every_command_is_on_its_manual_page() {
        let mut checked = 0;
        for (name, command) in commands() {
            let page = String::from_utf8(man_page(name.as_deref()).unwrap()).unwrap();
            let title = match &name {
                Some(name) => format!(
                    "\n.TH pgvet-{name} 1  \"pgvet {}\" \"pgvet manual\"\n",
                    env!("CARGO_PKG_VERSION")
                ),
                None => format!(
                    "\n.TH pgvet 1  \"pgvet {}\" \"pgvet manual\"\n",
                    env!("CARGO_PKG_VERSION")
                ),
            };
            assert!(page.contains(&title), "{name:?}: {page}");
            for flag in flags(&command) {
                // roff writes a hyphen as \-.
                let written = format!("\\-\\-{}", flag.replace('-', "\\-"));
                assert!(page.contains(&written), "{name:?} --{flag}: {page}");
                checked += 1;
            }
            for positional in command.get_positionals() {
                let value = positional.get_id().as_str().to_uppercase();
                assert!(page.contains(&value), "{name:?} {value}: {page}");
            }
        }
        // check alone has a dozen; a page that lost its options would not get here.
        assert!(checked > 25, "{checked}");
        assert!(
            man_page(Some("nope"))
                .unwrap_err()
                .0
                .contains("its commands are check, health, init, demo")
        );
    }

    #[test]
    fn every_flag_of_every_command_completes_in_bash_zsh_and_fish() {
        let bash = String::from_utf8(completion_script(clap_complete::Shell::Bash)).unwrap();
        let zsh = String::from_utf8(completion_script(clap_complete::Shell::Zsh)).unwrap();
        let fish = String::from_utf8(completion_script(clap_complete::Shell::Fish)).unwrap();
        for (name, command) in commands() {
            let fish_lines: Vec<&str> = fish
                .lines()
                .filter(|l| match &name {
                    Some(name) => l.contains(&format!("__fish_pgvet_using_subcommand {name}")),
                    None => l.contains("__fish_pgvet_needs_command"),
                })
                .collect();
            // bash: the case of the command lists its flags in `opts`.
            let case = match &name {
                Some(name) => format!("pgvet__subcmd__{name})"),
                None => "pgvet)".to_string(),
            };
            let bash_opts = bash
                .split(&format!("        {case}\n"))
                .nth(1)
                .and_then(|rest| rest.lines().find(|l| l.trim_start().starts_with("opts=")))
                .unwrap_or_else(|| panic!("bash has no case {case}"));
            for flag in flags(&command) {
                let long = format!("--{flag}");
                assert!(
                    bash_opts
                        .split_whitespace()
                        .any(|o| o.trim_matches('"') == long),
                    "bash {name:?} {long}: {bash_opts}"
                );
                assert!(
                    zsh.contains(&format!("{long}[")) || zsh.contains(&format!("{long}=[")),
                    "zsh {name:?} {long}"
                );
                assert!(
                    fish_lines
                        .iter()
                        .any(|l| l.contains(&format!(" -l {flag}"))),
                    "fish {name:?} {long}: {fish_lines:?}"
                );
            }
        }
        // The subcommands complete too.
        for sub in ["check", "init", "compare", "completions", "man"] {
            assert!(fish.contains(&format!("-a \"{sub}\"")), "fish {sub}");
        }
    }
}
