package dev.duet.protocol.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A key file changed under a running verifier: the new keys apply within a second, a broken file changes nothing. */
class TokenKeyFileTest {
    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong();

    private void write(Path file, String text, int second) throws Exception {
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + second)));
    }

    @Test
    void aRotatedKeyFileAppliesWithoutARestartAndABrokenOneIsIgnored() throws Exception {
        Path file = dir.resolve("keys.properties");
        TokenKeys first = TokenKeys.generate(dir.resolve("first.properties"), "k1");
        TokenKeys second = TokenKeys.generate(dir.resolve("second.properties"), "k2");
        write(file, Files.readString(dir.resolve("first.properties")), 0);
        TokenKeyFile keys = new TokenKeyFile(file, now::get);
        TokenVerifier verifier = new TokenVerifier(keys, Clock.systemUTC());
        String oldToken = new TokenSigner(first, Clock.systemUTC()).sign("ann", "c", "bob", Duration.ofHours(1));
        String newToken = new TokenSigner(second, Clock.systemUTC()).sign("ann", "c", "bob", Duration.ofHours(1));
        verifier.verify(oldToken);

        write(file, Files.readString(dir.resolve("second.properties")), 10);
        assertEquals(TokenRejectedException.Reason.UNKNOWN_KEY, assertThrows(TokenRejectedException.class,
                () -> verifier.verify(newToken)).reason(), "not looked at again within the second");
        now.addAndGet(TokenKeyFile.CHECK_INTERVAL_NANOS);
        verifier.verify(newToken);
        assertEquals(TokenRejectedException.Reason.UNKNOWN_KEY, assertThrows(TokenRejectedException.class,
                () -> verifier.verify(oldToken)).reason(), "k1 retired with the new file");

        write(file, "signing=missing\n", 20);
        now.addAndGet(TokenKeyFile.CHECK_INTERVAL_NANOS);
        verifier.verify(newToken);
    }
}
