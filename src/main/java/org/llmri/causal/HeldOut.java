package org.llmri.causal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.paradigm.PromptSource;
import org.llmri.paradigm.RandomStrings;
import org.llmri.paradigm.Task;

/**
 * Held-out material: passages a scan never reads, on which lesion and steer measure the model. Built-in banks ship
 * as resources ({@code heldout/NAME.txt}, one passage per line, screened against the scan banks by a test); random
 * strings come from the study's own generator at run numbers no scan uses.
 */
public final class HeldOut {
    /** Random-string held-out texts use runs from here on; scans number runs from 1 and have at most a handful. */
    public static final int RANDOM_STRING_RUN = 1000;
    public static final int RANDOM_STRING_TEXTS = 12;

    private HeldOut() {}

    /** The held-out texts of a task. */
    public static List<String> task(Task task, long studySeed) {
        return switch (task.source()) {
            case PromptSource.BuiltinBank b -> builtin(b.name(), "task " + task.id());
            case PromptSource.RandomStrings r -> {
                List<String> out = new ArrayList<>();
                for (int i = 0; i < RANDOM_STRING_TEXTS; i++) {
                    out.add(RandomStrings.generate(studySeed, task.id(), RANDOM_STRING_RUN, i, r.minChars(), r.maxChars()));
                }
                yield out;
            }
            default -> throw new LlmriException("task " + task.id() + ": no held-out bank for a task with its own prompts "
                    + "(held-out banks exist for the built-in banks and random strings)");
        };
    }

    /** The held-out control texts. */
    public static List<String> control(PromptSource control) {
        if (control instanceof PromptSource.BuiltinBank b) return builtin(b.name(), "control");
        throw new LlmriException("control: no held-out bank for control prompts other than builtin:control");
    }

    /** A built-in held-out bank's passages, in file order. */
    public static List<String> builtin(String name, String who) {
        String resource = "heldout/" + name + ".txt";
        try (InputStream in = HeldOut.class.getResourceAsStream(resource)) {
            if (in == null) throw new LlmriException(who + ": no held-out bank for builtin:" + name);
            List<String> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) out.add(s);
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + resource, e);
        }
    }
}
