package org.llmri.cli;

import java.io.Console;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr, one style for every command. On a terminal the bar redraws in place; otherwise
 * (a log file, a pipe, CI) each update is one plain line, at most one every {@link #PLAIN_INTERVAL_MS}, with
 * no ANSI codes and no carriage returns.
 */
final class Progress {
    private Progress() {}

    static final int PLAIN_INTERVAL_MS = 10_000;

    static boolean terminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    static ProgressBar bar(String task, long max, String unit, long unitSize) {
        boolean tty = terminal();
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .showSpeed();
        if (tty) {
            b.setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500);
        } else {
            String[] last = {null}; // the bar renders once more on close; a log needs the line once
            b.setConsumer(new DelegatingProgressBarConsumer(line -> {
                        String l = line.strip();
                        if (!l.equals(last[0])) System.err.println(l);
                        last[0] = l;
                    }, 100))
                    .setUpdateIntervalMillis(PLAIN_INTERVAL_MS);
        }
        if (unit != null) b.setUnit(unit, unitSize);
        return b.build();
    }

    /** The run or stage shown after the rate, kept apart from it. */
    static String extra(String message) {
        return message == null || message.isEmpty() ? "" : " " + message;
    }
}
