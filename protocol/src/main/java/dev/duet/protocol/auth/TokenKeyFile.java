package dev.duet.protocol.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The token keys of a key file, read again when the file changes: adding a key, switching the signing key or retiring
 * one needs no restart. The file's time is looked at most once per {@link #CHECK_INTERVAL_NANOS}, on use; a file that
 * no longer loads keeps the keys read before (with a warning), so a half-written file never locks clients out.
 */
public final class TokenKeyFile implements Supplier<TokenKeys> {
    private static final Logger log = LoggerFactory.getLogger(TokenKeyFile.class);
    static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path file;
    private final LongSupplier nanoTime;
    private volatile TokenKeys keys;
    private volatile long checkedAt;
    private FileTime loaded;

    TokenKeyFile(Path file, LongSupplier nanoTime) throws IOException {
        this.file = file;
        this.nanoTime = nanoTime;
        this.loaded = Files.getLastModifiedTime(file);
        this.keys = TokenKeys.load(file);
        this.checkedAt = nanoTime.getAsLong();
    }

    /** Loads {@code file} now; fails if it does not load. */
    public static TokenKeyFile watch(Path file) throws IOException {
        return new TokenKeyFile(file, System::nanoTime);
    }

    @Override
    public TokenKeys get() {
        long now = nanoTime.getAsLong();
        if (now - checkedAt >= CHECK_INTERVAL_NANOS) {
            reloadIfChanged(now);
        }
        return keys;
    }

    private synchronized void reloadIfChanged(long now) {
        if (now - checkedAt < CHECK_INTERVAL_NANOS) {
            return;
        }
        checkedAt = now;
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (!modified.equals(loaded)) {
                keys = TokenKeys.load(file);
                loaded = modified;
                log.info("reloaded the token keys from {}", file);
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("keeping the token keys read before: {} does not load: {}", file, e.getMessage());
        }
    }
}
