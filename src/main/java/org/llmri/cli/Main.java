package org.llmri.cli;

import org.llmri.LlmriException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: one picocli subcommand class per command; the only place that picks exit codes. */
@Command(name = "llmri", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Functional imaging of language models: block-design scans, GLMs and networks.",
        subcommands = {CommandLine.HelpCommand.class,
            DemoCommand.class,
            StudyCommand.class,
            ScanCommand.class,
            GlmCommand.class,
            PowerCommand.class,
            CalibrateCommand.class,
            LesionCommand.class,
            SteerCommand.class,
            NetworkCommand.class,
            ExportCommand.class,
            ParadigmCommand.class,
            ModelCommand.class,
            GenerateCommand.class,
            ForwardCommand.class,
            TokenizeCommand.class,
            BenchCommand.class,
            BenchGlmCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final String OUT_OF_MEMORY = "llmri: out of memory (the heap holds " + Runtime.getRuntime().maxMemory() / (1 << 20)
            + " MiB); use fewer units, runs or --permutations, or raise the heap with LLMRI_JAVA_OPTS=-Xmx16g";

    /** The top-level help's table: one short line per command; each command's own --help has the rest. */
    static final java.util.Map<String, String> SUMMARIES = summaries();

    private static java.util.Map<String, String> summaries() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("demo", "the paper's paradigm end to end on a random model made on the spot");
        m.put("study", "scan -> GLM -> networks -> report; finished stages are reused");
        m.put("scan", "record a paradigm into a dataset; --resume DIR completes a killed scan");
        m.put("glm", "GLM of [time, unit] data or of a whole scan dataset");
        m.put("lesion", "ablate a network on held-out text vs matched random sets; --all: deficit matrix");
        m.put("steer", "add alpha x (task - control) to a network: dose-response vs random sets");
        m.put("network", "a network as fine-tuning masks (network export)");
        m.put("export", "a scan dataset as 4D NIfTI-1 images (export nifti)");
        m.put("paradigm", "built-in paradigms and prompt banks; check a study (show --plan)");
        m.put("model", "make a random model (random); describe a model folder (info)");
        m.put("generate", "text generation: greedy or seeded sampling, batched");
        m.put("forward", "one forward pass: logits and hidden states");
        m.put("tokenize", "how a text is tokenized");
        m.put("bench", "generation throughput as a scan sees it");
        m.put("bench-glm", "GLM throughput on synthetic data");
        m.put("help", "help on a command");
        return m;
    }

    static String commandTable(CommandLine cl) {
        StringBuilder b = new StringBuilder();
        for (String name : cl.getSubcommands().keySet()) {
            String summary = SUMMARIES.getOrDefault(name, "");
            b.append(String.format("  %-10s %s%n", name, summary));
        }
        b.append("\nEvery command has --help with its options and defaults. Errors are one line, exit code 2.\n");
        return b.toString();
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> commandTable(cl));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable t = ex;
            while (t != null && !(t instanceof LlmriException) && t.getCause() != null && t.getCause() != t) {
                if (t instanceof OutOfMemoryError) break;
                t = t.getCause();
            }
            if (t instanceof LlmriException) {
                commandLine.getErr().println("llmri: " + t.getMessage());
                return 2;
            }
            if (t instanceof OutOfMemoryError) {
                commandLine.getErr().println(OUT_OF_MEMORY);
                return 2;
            }
            commandLine.getErr().println("llmri: internal error (a bug in llmri; LLMRI_DEBUG=1 shows where): " + ex.getMessage());
            if (System.getenv("LLMRI_DEBUG") != null) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // picocli's handler sees only Exceptions; an Error would otherwise end in a stack trace
            System.err.println(OUT_OF_MEMORY);
            code = 2;
        }
        System.exit(code);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"llmri " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
