package org.llmri.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.PromptSlot;
import org.llmri.paradigm.RunPlan;
import org.llmri.paradigm.Study;
import org.llmri.paradigm.StudyPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code llmri paradigm show}: a paradigm as study YAML, or its expanded plan. */
@Command(name = "show", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
        description = {"Print a built-in paradigm, or a checked study file with every field written out, as study YAML "
                + "(save it, edit it, scan with it). With --plan, print every prompt of every run instead, as TSV.",
                "Example: llmri paradigm show galactica-fmri -o study.yaml"})
public final class ParadigmShowCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME|FILE", defaultValue = Paradigms.GALACTICA_FMRI,
            description = "A built-in paradigm (see 'llmri paradigm list') or a study YAML file.")
    String source;

    @Option(names = "--plan", description = "Print the expanded plan (task, run, index, block, condition, onset, "
            + "duration, prompt_id, text) as TSV instead of the YAML.")
    boolean plan;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Override
    public void run() {
        Study study = resolve(source);
        StudyPlan p = study.plan();
        String text = plan ? planTsv(p) : study.toYaml();
        String checked = plan ? org.llmri.study.ScanStage.checkPrompts(study, p, source) : null; // before anything is printed
        PrintWriter err = spec.commandLine().getErr();
        if (study.acquisition().reads()) {
            err.printf("%s: %d runs, %d prompts per run, read: one time point per prompt token (counted when scanned)%n",
                    study.name(), p.runs().size(), study.design().promptsPerRun());
        } else {
            err.printf("%s: %d runs, %d time points per run, %d in all%n", study.name(), p.runs().size(),
                    study.timePointsPerRun(), p.totalTimePoints());
        }
        for (String note : p.notes()) err.println("note: " + note);
        if (checked != null) err.println(checked);
        err.flush();
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
        } else {
            writeAtomically(output, text);
        }
    }

    /** A built-in name, or else a study file. */
    static Study resolve(String source) {
        if (Paradigms.names().contains(source)) return Paradigms.builtin(source);
        Path file = Path.of(source);
        if (Files.exists(file)) return Study.load(file);
        throw new LlmriException(source + ": neither a built-in paradigm (" + String.join(", ", Paradigms.names())
                + ") nor an existing study file");
    }

    static String planTsv(StudyPlan plan) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join("\t", List.of("task", "run", "index", "block", "condition", "onset", "duration",
                "prompt_id", "text"))).append('\n');
        // in reading mode onsets and durations follow the token counts, known only once the model's tokenizer has run
        boolean reads = plan.study().acquisition().reads();
        for (RunPlan run : plan.runs()) {
            for (PromptSlot slot : run.prompts()) {
                int onset = slot.index() * run.newTokensPerPrompt();
                sb.append(String.join("\t", List.of(run.taskId(), Integer.toString(run.run()),
                        Integer.toString(slot.index()), Integer.toString(slot.block()), slot.condition(),
                        reads ? "n/a" : Integer.toString(onset), reads ? "n/a" : Integer.toString(run.newTokensPerPrompt()),
                        slot.promptId(),
                        escape(slot.text())))).append('\n');
            }
        }
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    private static void writeAtomically(Path target, String text) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LlmriException(target + ": cannot write (" + org.llmri.io.AtomicFile.describe(e) + ")");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temp name cannot be mistaken for the output
                }
            }
        }
    }
}
