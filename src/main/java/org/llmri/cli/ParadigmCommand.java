package org.llmri.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code llmri paradigm}: the built-in paradigms, their prompt banks, and study files. */
@Command(name = "paradigm", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
        description = "List the built-in paradigms and prompt banks, print a paradigm as an editable study YAML, "
                + "or check a study file and show its expanded plan.",
        subcommands = {ParadigmListCommand.class, ParadigmShowCommand.class, ParadigmBankCommand.class})
public final class ParadigmCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
