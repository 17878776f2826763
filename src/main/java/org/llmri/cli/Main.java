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

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
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
                commandLine.getErr().println("llmri: out of memory; raise the heap with LLMRI_JAVA_OPTS=-Xmx16g");
                return 3;
            }
            commandLine.getErr().println("llmri: internal error: " + ex);
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
            System.err.println("llmri: out of memory; raise the heap with LLMRI_JAVA_OPTS=-Xmx16g");
            code = 3;
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
