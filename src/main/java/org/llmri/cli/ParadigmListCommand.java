package org.llmri.cli;

import java.io.PrintWriter;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.PromptBank;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code llmri paradigm list}: the built-in paradigms and prompt banks. */
@Command(name = "list", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
        description = "List the built-in paradigms and the built-in prompt banks (use a bank in a study as bank: builtin:NAME).")
public final class ParadigmListCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Paradigms (llmri paradigm show NAME):");
        for (String name : Paradigms.names()) {
            out.printf("  %-18s %s%n", name, Paradigms.description(name));
        }
        out.println("Prompt banks (bank: builtin:NAME; llmri paradigm bank NAME prints one):");
        for (String name : PromptBank.BUILTIN) {
            PromptBank bank = PromptBank.builtin(name, name);
            long topics = bank.topics().stream().filter(t -> !t.isEmpty()).count();
            out.printf("  %-18s %4d prompts%s%n", name, bank.size(), topics == 0 ? "" : ", " + topics + " topics");
        }
        out.flush();
    }
}
