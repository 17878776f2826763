package org.llmri.cli;

import java.io.PrintWriter;
import org.llmri.paradigm.PromptBank;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code llmri paradigm bank NAME}: a built-in bank file, ready to copy and edit. */
@Command(name = "bank", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
        description = "Print a built-in prompt bank as a bank file (one prompt per line, or topic<TAB>prompt), "
                + "to copy, edit and use in a study as bank: FILE.")
public final class ParadigmBankCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "A built-in bank, with or without the builtin: prefix.")
    String name;

    @Override
    public void run() {
        String bare = name.startsWith("builtin:") ? name.substring("builtin:".length()) : name;
        PrintWriter out = spec.commandLine().getOut();
        out.print(PromptBank.builtinText(bare));
        out.flush();
    }
}
