package org.llmri.model.hub;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** How a download shows its progress: one bar per file. */
public interface DownloadProgress {
    /**
     * Starts showing one file's transfer of {@code totalBytes} (-1: not known yet), of which {@code doneBytes} are
     * already on disk.
     */
    Bar start(String label, long totalBytes, long doneBytes);

    /** One file's progress. */
    interface Bar extends AutoCloseable {
        void stepTo(long doneBytes);

        /** The total, once the server tells it. */
        void total(long totalBytes);

        @Override
        void close();
    }

    /** Shows nothing (tests, library use). */
    static DownloadProgress silent() {
        return (label, total, done) -> new Bar() {
            @Override
            public void stepTo(long doneBytes) {}

            @Override
            public void total(long totalBytes) {}

            @Override
            public void close() {}
        };
    }

    /** ASCII progress bars in MiB with speed and ETA, written to {@code out} (the CLI passes System.err). */
    static DownloadProgress consoleBars(PrintStream out) {
        return (label, total, done) -> {
            ProgressBar bar = new ProgressBarBuilder()
                    .setTaskName(label)
                    .setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUnit("MiB", 1L << 20)
                    .showSpeed()
                    .startsFrom(done, Duration.ZERO)
                    .setConsumer(new ConsoleProgressBarConsumer(out))
                    .build();
            return new Bar() {
                @Override
                public void stepTo(long doneBytes) {
                    bar.stepTo(doneBytes);
                }

                @Override
                public void total(long totalBytes) {
                    bar.maxHint(totalBytes);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }
}
