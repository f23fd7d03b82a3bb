package dev.duet.protocol.auth;

import dev.duet.protocol.auth.TokenRejectedException.Reason;
import dev.duet.thrift.chat.TokenClaims;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final byte[] KEY_1 = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_2 = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

    private final TokenSigner signer = new TokenSigner(TokenKeys.single("k1", KEY_1), CLOCK);
    private final TokenVerifier verifier = new TokenVerifier(TokenKeys.single("k1", KEY_1), CLOCK);

    private static Reason rejection(TokenVerifier verifier, String token) {
        return assertThrows(TokenRejectedException.class, () -> verifier.verify(token)).reason();
    }

    @Test
    void verifiesWhatItSigned() throws Exception {
        TokenClaims claims = verifier.verify(signer.sign("ann", "couple-1", "bob", Duration.ofHours(24)));
        assertEquals("ann", claims.getUserId());
        assertEquals("couple-1", claims.getCoupleId());
        assertEquals("bob", claims.getPartnerId());
        assertEquals("k1", claims.getKeyId());
        assertEquals(NOW.plus(Duration.ofHours(24)).getEpochSecond(), claims.getExpiresAt());
    }

    @Test
    void rejectsAnExpiredToken() {
        String token = signer.sign("ann", "couple-1", "bob", Duration.ofMinutes(5));
        TokenVerifier later = new TokenVerifier(TokenKeys.single("k1", KEY_1),
                Clock.fixed(NOW.plus(Duration.ofMinutes(5)), ZoneOffset.UTC));
        assertEquals(Reason.EXPIRED, rejection(later, token));
    }

    @Test
    void rejectsATokenSignedWithAnotherKeyUnderTheSameId() {
        String forged = new TokenSigner(TokenKeys.single("k1", KEY_2), CLOCK)
                .sign("ann", "couple-1", "bob", Duration.ofHours(1));
        assertEquals(Reason.BAD_SIGNATURE, rejection(verifier, forged));
    }

    @Test
    void rejectsClaimsAlteredAfterSigning() {
        String token = signer.sign("ann", "couple-1", "bob", Duration.ofHours(1));
        String otherClaims = signer.sign("ann", "couple-2", "bob", Duration.ofHours(1));
        String spliced = otherClaims.substring(0, otherClaims.indexOf('.')) + token.substring(token.indexOf('.'));
        assertEquals(Reason.BAD_SIGNATURE, rejection(verifier, spliced));
    }

    @Test
    void rejectsAnUnknownKeyId() {
        String token = new TokenSigner(TokenKeys.single("k9", KEY_1), CLOCK)
                .sign("ann", "couple-1", "bob", Duration.ofHours(1));
        assertEquals(Reason.UNKNOWN_KEY, rejection(verifier, token));
    }

    @Test
    void rejectsEveryTruncation() {
        String token = signer.sign("ann", "couple-1", "bob", Duration.ofHours(1));
        for (int length = 0; length < token.length(); length++) {
            Reason reason = rejection(verifier, token.substring(0, length));
            if (length <= token.indexOf('.') + 1) {
                assertEquals(Reason.MALFORMED, reason, "truncated to " + length);
            } else {
                assertTrue(reason == Reason.BAD_SIGNATURE || reason == Reason.MALFORMED, "truncated to " + length);
            }
        }
    }

    @Test
    void rejectsMalformedTokens() {
        String valid = signer.sign("ann", "couple-1", "bob", Duration.ofHours(1));
        String junkClaims = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[]{(byte) 0xFF, 1, 2});
        for (String token : new String[]{null, "", ".", "abc", "a.b.c", "!!!.???",
                junkClaims + valid.substring(valid.indexOf('.')), valid + "." + valid, "x".repeat(2000)}) {
            assertEquals(Reason.MALFORMED, rejection(verifier, token), String.valueOf(token));
        }
    }

    @Test
    void acceptsOneSpellingOnlyAndTellsPeersNoParserDetails() {
        String valid = signer.sign("ann", "couple-1", "bob", Duration.ofHours(1));
        String mac = valid.substring(valid.indexOf('.') + 1);
        // 32 MAC bytes are 43 characters; the last carries 2 unused bits, which a lax decoder ignores.
        char last = mac.charAt(mac.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        String otherBits = valid.substring(0, valid.length() - 1) + alphabet.charAt(alphabet.indexOf(last) ^ 1);
        for (String respelled : new String[]{valid + "=", otherBits}) {
            TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> verifier.verify(respelled));
            assertEquals(Reason.MALFORMED, e.reason(), respelled);
            assertEquals("token refused: malformed", e.publicMessage());
        }
    }

    @Test
    void refusesClaimsNestedTooDeep() {
        byte[] nested = new byte[4000];
        java.util.Arrays.fill(nested, 0, 2000, (byte) 0x1C);
        String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(nested);
        assertEquals(Reason.MALFORMED, rejection(verifier, claims + ".AAAA"));
    }

    @Test
    void verifiesOldTokensDuringAKeyRotation() throws Exception {
        String old = signer.sign("ann", "couple-1", "bob", Duration.ofHours(1));
        TokenKeys rotated = TokenKeys.of(Map.of("k1", KEY_1, "k2", KEY_2), "k2");
        String fresh = new TokenSigner(rotated, CLOCK).sign("bob", "couple-1", "ann", Duration.ofHours(1));
        TokenVerifier both = new TokenVerifier(rotated, CLOCK);
        assertEquals("ann", both.verify(old).getUserId());
        assertEquals("k2", both.verify(fresh).getKeyId());
        assertEquals(Reason.UNKNOWN_KEY, rejection(verifier, fresh));
    }

    @Test
    void refusesWeakOrBadlyNamedKeys() {
        assertThrows(IllegalArgumentException.class, () -> TokenKeys.single("k1", new byte[16]));
        assertThrows(IllegalArgumentException.class, () -> TokenKeys.single("k.1", KEY_1));
        assertThrows(IllegalArgumentException.class, () -> TokenKeys.of(Map.of("k1", KEY_1), "k2"));
    }

    @Test
    void keysRoundTripThroughAKeyFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("keys/token-keys.properties");
        TokenKeys generated = TokenKeys.generate(file, "k7");
        TokenKeys loaded = TokenKeys.load(file);
        assertEquals("k7", loaded.signingKeyId());
        String token = new TokenSigner(generated, CLOCK).sign("ann", "couple-1", "bob", Duration.ofHours(1));
        assertEquals("ann", new TokenVerifier(loaded, CLOCK).verify(token).getUserId());
        assertEquals(java.util.Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                java.nio.file.Files.getPosixFilePermissions(file));
    }
}
