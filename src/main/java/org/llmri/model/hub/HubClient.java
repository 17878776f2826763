package org.llmri.model.hub;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.llmri.LlmriException;

/**
 * The Hub's HTTP protocol as huggingface_hub speaks it: a HEAD on {@code /{repo}/resolve/{revision}/{file}}
 * tells the commit ({@code X-Repo-Commit}), the blob name ({@code X-Linked-Etag} for LFS files, else
 * {@code ETag}), the size ({@code X-Linked-Size} or {@code Content-Length}) and, for LFS files, the CDN address
 * in {@code Location}; a GET there fills {@code blobs/<etag>.incomplete}, resuming with {@code Range} after a
 * cut. Every failure becomes a one-line {@link LlmriException}.
 */
final class HubClient {
    static final int MAX_REDIRECTS = 10;
    /** Attempts in a row without new bytes before a download gives up (huggingface_hub uses 5 too). */
    static final int MAX_ATTEMPTS_WITHOUT_PROGRESS = 5;
    private static final Pattern SAFE_ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes \\*/(\\d+)");
    private static final String USER_AGENT = "llmri/" + version() + "; java/" + Runtime.version().feature();

    /** What the Hub said about one file. */
    sealed interface Lookup permits Found, Missing {}

    /**
     * The file exists: where to get it and what it must be. {@code size} is -1 when the Hub did not say;
     * {@code lfs}: the etag came from X-Linked-Etag (for LFS files, the content's sha256).
     */
    record Found(String commit, String etag, long size, URI location, boolean lfs) implements Lookup {}

    /** The file does not exist at this revision; {@code commit} is the revision's commit when the Hub said it. */
    record Missing(String commit) implements Lookup {}

    private final HubSettings settings;
    private final HttpClient http;
    private final DownloadProgress progress;
    private final Duration retryPause;
    /** Host names that are the Hub: its public names and the configured endpoint's. */
    private final java.util.Set<String> hubHosts;

    HubClient(HubSettings settings, HttpClient http, DownloadProgress progress, Duration retryPause) {
        this.settings = settings;
        this.http = http;
        this.progress = progress;
        this.retryPause = retryPause;
        this.hubHosts = java.util.stream.Stream.of("huggingface.co", "hf.co", "hub-ci.huggingface.co",
                lower(settings.endpoint().getHost())).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{file}}, with the revision and file percent-encoded. */
    URI resolveUrl(String repoId, String revision, String file) {
        StringBuilder path = new StringBuilder(settings.endpoint().toString()).append('/').append(repoId)
                .append("/resolve/").append(encode(revision));
        for (String seg : file.split("/")) path.append('/').append(encode(seg));
        return URI.create(path.toString());
    }

    /** Asks the Hub about {@code file} at {@code revision} (HEAD; follows same-site redirects of renamed repos). */
    Lookup lookup(ModelRef ref, String revision, String file) {
        URI url = resolveUrl(ref.repoId(), revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest req = request(url, settings.etagTimeout())
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity")
                    .build();
            HttpResponse<Void> r;
            try {
                r = send(req, HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                throw unreachable(url, e);
            }
            int s = r.statusCode();
            if (s >= 300 && s < 400) {
                String location = r.headers().firstValue("Location").orElse(null);
                if (location == null) throw new LlmriException(url + ": HTTP " + s + " redirect without a Location header");
                URI target = resolve(url, location);
                if (onHub(url, target)) {
                    url = target; // still the Hub (a renamed repository, a mirror): ask again there
                    continue;
                }
                // another host: the CDN serving an LFS file; this answer itself carries the file's metadata
                return found(r.headers(), url, target, true);
            }
            if (s >= 200 && s < 300) return found(r.headers(), url, url, false);
            return notFoundOrFail(s, r.headers(), url, ref, revision, file);
        }
        throw new LlmriException(url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private Found found(HttpHeaders h, URI url, URI location, boolean redirect) {
        String commit = h.firstValue("X-Repo-Commit").orElse(null);
        if (commit == null || !ModelRef.isCommit(commit.strip())) {
            throw new LlmriException(url + ": the answer has no valid X-Repo-Commit header, so it does not come from the"
                    + " Hugging Face Hub; check HF_ENDPOINT and any proxy or firewall in between");
        }
        Optional<String> linked = h.firstValue("X-Linked-Etag");
        String etag = normalizeEtag(linked.or(() -> h.firstValue("ETag")).orElse(null));
        if (etag == null || !SAFE_ETAG.matcher(etag).matches()) {
            throw new LlmriException(url + ": the Hub gave no usable ETag for this file, so it cannot be cached");
        }
        // a redirect's Content-Length is the redirect's own; then only X-Linked-Size tells (else the GET will)
        long size = h.firstValue("X-Linked-Size").or(() -> redirect ? Optional.empty() : h.firstValue("Content-Length"))
                .map(HubClient::parseSize).orElse(-1L);
        return new Found(commit.strip(), etag, size, location, linked.isPresent());
    }

    private static long parseSize(String v) {
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** huggingface_hub's normalisation: strip a weak-validator prefix and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    /** Maps an error status to a one-line message, or to {@link Missing} when the file simply is not there. */
    private Lookup notFoundOrFail(int status, HttpHeaders h, URI url, ModelRef ref, String revision, String file) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String commit = h.firstValue("X-Repo-Commit").map(String::strip).filter(ModelRef::isCommit).orElse(null);
        if (status == 404 && (code.equals("EntryNotFound") || code.isEmpty() && commit != null)) return new Missing(commit);
        throw httpError(status, code, url, ref, revision, file);
    }

    private LlmriException httpError(int status, String code, URI url, ModelRef ref, String revision, String file) {
        String repo = ref.repoId();
        boolean hasToken = settings.token() != null;
        if (code.equals("GatedRepo") || (status == 403 && !code.equals("RepoNotFound"))) {
            return new LlmriException(repo + " is gated or restricted (HTTP " + status + " for " + file + "): "
                    + (hasToken ? "the token in HF_TOKEN has no access; accept the model's conditions on its Hub page"
                            + " with that account" : "accept the model's conditions on its Hub page and set HF_TOKEN to"
                            + " a token of that account"));
        }
        if (code.equals("RepoNotFound") || status == 401) {
            return new LlmriException("repository " + repo + " was not found on " + settings.endpoint() + " (HTTP "
                    + status + "): check the name; if it is private, " + (hasToken
                    ? "the token in HF_TOKEN cannot read it" : "set HF_TOKEN to a token that can read it"));
        }
        if (code.equals("RevisionNotFound")) {
            return new LlmriException("revision '" + revision + "' was not found in " + repo + " (HTTP " + status
                    + "): check the branch, tag or commit after '@'");
        }
        if (status == 404) {
            return new LlmriException(url + " was not found (HTTP 404): check the repository name and revision");
        }
        if (status == 429) {
            return new LlmriException("the Hub is rate-limiting requests (HTTP 429 for " + url + "): wait a minute and"
                    + " try again" + (hasToken ? "" : ", or set HF_TOKEN"));
        }
        if (status >= 500) {
            return new LlmriException("the Hub answered HTTP " + status + " for " + url + ": try again later, or pass a"
                    + " local model folder, or set HF_HUB_OFFLINE=1 to use the cache");
        }
        return new LlmriException("unexpected HTTP " + status + " for " + url);
    }

    /**
     * Downloads a found file into {@code part} (its {@code .incomplete} name), continuing from whatever bytes
     * {@code part} already holds, retrying cut or stalled transfers with a Range request. On return
     * {@code part} holds exactly the file; an LFS file's sha256 has been checked.
     */
    void download(ModelRef ref, String file, Found f, Path part) {
        long expected = f.size(); // -1: the Hub did not say; the GET will
        long have = sizeOf(part);
        if (expected >= 0 && have > expected) {
            delete(part);
            have = 0;
        }
        if (expected >= 0) ensureSpace(part, expected - have, file);
        int attemptsLeft = MAX_ATTEMPTS_WITHOUT_PROGRESS;
        String lastProblem = null;
        try (DownloadProgress.Bar bar = progress.start(file, expected, have)) {
            while (expected < 0 || have < expected) {
                long before = have;
                boolean ended = false;
                try {
                    long total = fetchOnce(ref, file, f, part, have, bar);
                    if (expected < 0 && total >= 0) {
                        expected = total;
                        bar.total(total);
                    }
                    ended = true;
                } catch (Transient t) {
                    lastProblem = t.getMessage();
                }
                have = sizeOf(part);
                if (expected >= 0 && have > expected) {
                    delete(part);
                    throw new LlmriException(f.location() + ": the server sent more than the " + expected
                            + " bytes announced for " + file + "; the partial file was deleted");
                }
                if (expected >= 0 ? have >= expected : ended) break; // no length anywhere: the body's end is the file's
                attemptsLeft = have > before ? MAX_ATTEMPTS_WITHOUT_PROGRESS : attemptsLeft - 1;
                if (attemptsLeft <= 0) {
                    throw new LlmriException("downloading " + file + " from " + host(f.location()) + " failed after "
                            + MAX_ATTEMPTS_WITHOUT_PROGRESS + " attempts without progress (" + (lastProblem == null
                            ? "connection closed early" : lastProblem) + "; " + have + " of "
                            + (expected >= 0 ? expected : "?") + " bytes kept, run again to resume): check your network"
                            + " connection");
                }
                pause();
            }
            bar.stepTo(have);
        }
        if (!Files.exists(part)) createEmpty(part); // an empty file needs no transfer
        if (f.lfs() && SHA256.matcher(f.etag()).matches()) {
            String actual = sha256(part);
            if (!actual.equals(f.etag())) {
                delete(part);
                throw new LlmriException("download of " + file + " from " + ref.repoId() + " is corrupt: its sha256 is " + actual
                        + " but the Hub says " + f.etag() + "; the file was deleted, run again to retry");
            }
        }
    }

    /** A failure worth retrying with a Range request: a cut, a stall, a 5xx. */
    private static final class Transient extends Exception {
        Transient(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * One GET (following redirects) that appends to {@code part}; returns normally when the body ended, with the
     * file's total size as the answer stated it (-1 when it did not).
     */
    private long fetchOnce(ModelRef ref, String file, Found f, Path part, long have, DownloadProgress.Bar bar)
            throws Transient {
        URI url = f.location();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder rb = request(url, settings.etagTimeout()).GET().header("Accept-Encoding", "identity");
            if (have > 0) rb.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> r;
            try {
                r = send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new Transient(reason(e));
            }
            int s = r.statusCode();
            if (s >= 300 && s < 400) {
                closeQuietly(r.body());
                String location = r.headers().firstValue("Location").orElse(null);
                if (location == null) throw new LlmriException(url + ": HTTP " + s + " redirect without a Location header");
                url = resolve(url, location);
                continue;
            }
            boolean append;
            long total;
            if (s == 206) {
                long start = rangeStart(r.headers());
                total = rangeTotal(r.headers());
                if (start != have) {
                    closeQuietly(r.body());
                    delete(part); // the server resumed somewhere else: start over
                    throw new Transient("the server resumed at byte " + start + " instead of " + have);
                }
                append = true;
            } else if (s == 200) {
                append = false; // a full answer (first request, or a server that ignores Range)
                total = r.headers().firstValue("Content-Length").map(HubClient::parseSize).orElse(-1L);
                bar.stepTo(0);
            } else if (s == 416) {
                closeQuietly(r.body());
                long size = rangeTotal(r.headers());
                if (size == have) return size; // nothing left to fetch: the partial file was complete
                delete(part);
                throw new Transient("the server refused to resume at byte " + have);
            } else if (s == 429 || s >= 500) {
                closeQuietly(r.body());
                throw new Transient("HTTP " + s + " from " + host(url));
            } else {
                closeQuietly(r.body());
                throw httpError(s, r.headers().firstValue("X-Error-Code").orElse(""), url, ref, f.commit(), file);
            }
            copyBody(r.body(), part, append, append ? have : 0, bar);
            return total;
        }
        throw new LlmriException(url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private void copyBody(InputStream body, Path part, boolean append, long start, DownloadProgress.Bar bar)
            throws Transient {
        long done = start;
        StallWatchdog watchdog = new StallWatchdog(settings.downloadTimeout(), body);
        try (watchdog; body; OutputStream out = new BufferedOutputStream(Files.newOutputStream(part,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING), 1 << 16)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = body.read(buf)) >= 0) {
                if (n == 0) continue;
                out.write(buf, 0, n);
                done += n;
                watchdog.touch();
                bar.stepTo(done);
            }
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw new Transient("no data for " + settings.downloadTimeout().toMillis() / 1000.0 + " s");
            }
            if (isDiskProblem(e, part)) {
                throw new LlmriException(part + ": cannot write (" + reason(e) + ")", e);
            }
            throw new Transient(reason(e));
        }
    }

    private static boolean isDiskProblem(IOException e, Path part) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left") || e instanceof java.nio.file.FileSystemException fse
                && part.toString().equals(fse.getFile());
    }

    /** Closes a stalled body so the blocked read returns; huggingface_hub's read timeout, for a streamed body. */
    private static final class StallWatchdog implements AutoCloseable {
        private final ScheduledExecutorService timer;
        private volatile long lastNanos = System.nanoTime();
        private volatile boolean fired;

        StallWatchdog(Duration limit, Closeable target) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "llmri-download-watchdog");
                t.setDaemon(true);
                return t;
            });
            long limitNanos = limit.toNanos();
            long period = Math.max(10, Math.min(250, limit.toMillis() / 4));
            timer.scheduleAtFixedRate(() -> {
                if (!fired && System.nanoTime() - lastNanos > limitNanos) {
                    fired = true;
                    closeQuietly(target);
                }
            }, period, period, TimeUnit.MILLISECONDS);
        }

        void touch() {
            lastNanos = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

    /** The total size in a Content-Range ({@code bytes a-b/total} or, answering 416, {@code bytes *\/total}). */
    private static long rangeTotal(HttpHeaders h) {
        String cr = h.firstValue("Content-Range").orElse("").strip();
        Matcher m = CONTENT_RANGE.matcher(cr);
        if (m.matches()) return m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        Matcher u = UNSATISFIED_RANGE.matcher(cr);
        return u.matches() ? Long.parseLong(u.group(1)) : -1;
    }

    private static long rangeStart(HttpHeaders h) throws Transient {
        String cr = h.firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(cr.strip());
        if (!m.matches()) throw new Transient("a partial answer without a valid Content-Range ('" + cr + "')");
        return Long.parseLong(m.group(1));
    }

    private HttpRequest.Builder request(URI url, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout).header("User-Agent", USER_AGENT);
        // the token goes only to the Hub itself, never to the CDN that LFS files are redirected to
        if (settings.token() != null && hubHosts.contains(lower(url.getHost()))) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmriException("interrupted while talking to " + req.uri());
        }
    }

    private static LlmriException unreachable(URI url, IOException e) {
        return new LlmriException("cannot reach " + url + " (" + reason(e) + "): check your network connection, or"
                + " pass a local model folder, or set HF_HUB_OFFLINE=1 to use only the Hugging Face cache");
    }

    static String reason(Throwable e) {
        if (e instanceof HttpTimeoutException) return "timed out";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException) return "unknown host";
            if (t instanceof java.net.ConnectException) return "connection refused";
            String m = t.getMessage();
            if (m != null && !m.isBlank()) return m.lines().findFirst().orElse(m).strip();
        }
        return e.getClass().getSimpleName();
    }

    /** huggingface_hub's rule: a redirect stays on the Hub when it keeps the host name or goes to a Hub host. */
    private boolean onHub(URI from, URI to) {
        String host = lower(to.getHost());
        return host != null && (host.equals(lower(from.getHost())) || hubHosts.contains(host));
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static URI resolve(URI base, String location) {
        try {
            return base.resolve(URI.create(location.strip()));
        } catch (IllegalArgumentException e) {
            throw new LlmriException(base + ": redirect to an invalid address '" + location + "'");
        }
    }

    private static String host(URI u) {
        return u.getHost() == null ? u.toString() : u.getHost();
    }

    private void ensureSpace(Path part, long needed, String label) {
        try {
            Files.createDirectories(part.getParent());
            long free = Files.getFileStore(part.getParent()).getUsableSpace();
            // some file systems report 0 when they cannot tell; a real shortage still fails at the write
            if (free > 0 && free < needed) {
                throw new LlmriException("not enough free disk space in " + part.getParent() + " for " + label
                        + ": it needs " + mib(needed) + " MiB, " + mib(free) + " MiB are free");
            }
        } catch (IOException e) {
            throw new LlmriException(part.getParent() + ": cannot prepare the download (" + reason(e) + ")", e);
        }
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read back the download (" + reason(e) + ")", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private void pause() {
        try {
            Thread.sleep(retryPause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmriException("interrupted while downloading");
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void createEmpty(Path p) {
        try {
            Files.write(p, new byte[0]);
        } catch (IOException e) {
            throw new LlmriException(p + ": cannot write (" + reason(e) + ")", e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new LlmriException(p + ": cannot delete (" + reason(e) + ")", e);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /** RFC 3986 percent-encoding of one path segment (huggingface_hub uses quote(..., safe="")). */
    static String encode(String segment) {
        StringBuilder sb = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
                    || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

    private static String version() {
        String v = HubClient.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
