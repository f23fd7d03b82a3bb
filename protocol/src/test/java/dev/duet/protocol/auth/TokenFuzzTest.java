package dev.duet.protocol.auth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.duet.protocol.testing.FuzzLimits;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

/** Any string as a token: refused with a {@link TokenRejectedException}, and never accepted unless truly signed. */
class TokenFuzzTest {
    private static final TokenKeys KEYS = TokenKeys.single("k1",
            "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final TokenVerifier VERIFIER = new TokenVerifier(KEYS, Clock.systemUTC());

    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void tokens(String token) {
        try {
            VERIFIER.verify(token);
        } catch (TokenRejectedException expected) {
            return;
        }
        throw new AssertionError("a token nobody signed was accepted: " + token);
    }
}
