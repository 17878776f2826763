package org.llmri.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The workers the kernels split their work over: the calling thread takes the first share and
 * parallelism - 1 resident workers take the rest. A forward pass makes thousands of short parallel
 * calls per second, so workers spin briefly before parking: a hand-off then costs microseconds.
 * The number of threads defaults to the machine's cores (LLMRI_THREADS overrides it).
 */
public final class Threads implements AutoCloseable {
    /** A piece of work over the index range [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private static final int SPINS = 20_000;

    private final int parallelism;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long epoch;
    private volatile boolean closed;
    private volatile Thread caller;
    private final AtomicBoolean busy = new AtomicBoolean();
    // the current job; written before epoch is bumped, read after a worker sees the new epoch
    private Range job;
    private int[] bounds;
    private volatile Throwable failure;

    public Threads(int parallelism) {
        this.parallelism = Math.max(1, parallelism);
        this.workers = new Thread[this.parallelism - 1];
        for (int i = 0; i < workers.length; i++) {
            int share = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("llmri-worker-" + share).unstarted(() -> work(share));
            workers[i].start();
        }
    }

    public static Threads fromEnvironment() {
        String env = System.getenv("LLMRI_THREADS");
        int n = Runtime.getRuntime().availableProcessors();
        if (env != null && !env.isBlank()) {
            try {
                n = Integer.parseInt(env.strip());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1) throw new org.llmri.LlmriException("LLMRI_THREADS must be a positive integer, got '" + env.strip() + "'");
        }
        return new Threads(n);
    }

    public int parallelism() {
        return parallelism;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@code parallelism} contiguous shares whose
     * boundaries are multiples of {@code grain} (so register blocks are never split). Calls made
     * from inside a share run on the calling thread.
     */
    public void forRange(int n, int grain, Range body) {
        int g = Math.max(1, grain);
        int units = (n + g - 1) / g;
        int shares = Math.min(parallelism, units);
        if (shares <= 1 || closed || !busy.compareAndSet(false, true)) {
            body.run(0, n); // one share, or called from inside a share
            return;
        }
        int[] b = new int[parallelism + 1];
        for (int c = 0; c <= parallelism; c++) {
            b[c] = c >= shares ? n : Math.min(n, (int) ((long) units * c / shares) * g);
        }
        job = body;
        bounds = b;
        failure = null;
        caller = Thread.currentThread();
        pending.set(workers.length);
        epoch = epoch + 1; // publishes job and bounds
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            if (b[0] < b[1]) body.run(b[0], b[1]);
        } catch (Throwable t) {
            failure = t;
        }
        int spins = 0;
        while (pending.get() > 0) {
            if (++spins < SPINS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        job = null;
        busy.set(false);
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error e) throw e;
        if (f != null) throw new RuntimeException(f);
    }

    /**
     * Runs {@code body} over [0, n) in pieces of {@code grain} indices handed out one at a time to
     * whichever thread is free, so that a slower core (this machine's cores are shared with
     * neighbours) takes fewer pieces instead of keeping the other waiting. Each index runs once, on
     * some thread: what it computes must not depend on which. With one thread, or one piece, the whole
     * range runs in one call.
     */
    public void forEachPiece(int n, int grain, Range body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int pieces = (n + g - 1) / g;
        if (pieces <= 1 || parallelism == 1) {
            body.run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        forRange(parallelism, 1, (from, to) -> {
            for (int i = next.getAndIncrement(); i < pieces; i = next.getAndIncrement()) {
                body.run(i * g, Math.min(n, (i + 1) * g));
            }
        });
    }

    private void work(int share) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (epoch == seen && !closed) {
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = epoch;
            int[] b = bounds;
            Range r = job;
            try {
                if (b[share] < b[share + 1]) r.run(b[share], b[share + 1]);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
