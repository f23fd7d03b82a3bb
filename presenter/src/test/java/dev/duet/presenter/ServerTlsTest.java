package dev.duet.presenter;

import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerTlsTest {

    @Test
    void aRenewedCertificateIsPickedUpWithoutARestartAndABrokenOneIsRefused(@TempDir Path dir) throws Exception {
        SelfSignedCertificate first = SelfSignedCertificate.in(dir.resolve("first"));
        SelfSignedCertificate second = SelfSignedCertificate.in(dir.resolve("second"));
        Path cert = Files.copy(first.certificate(), dir.resolve("cert.pem"));
        Path key = Files.copy(first.privateKey(), dir.resolve("key.pem"));
        try (ServerTls tls = new ServerTls(cert, key)) {
            SslContext original = tls.context();
            assertFalse(tls.reloadIfChanged(), "nothing changed");
            assertSame(original, tls.context());

            Files.copy(second.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(cert, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            assertTrue(tls.reloadIfChanged());
            SslContext renewed = tls.context();
            assertNotSame(original, renewed);

            Files.writeString(key, "not a key");
            Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            assertThrows(java.io.IOException.class, tls::reloadIfChanged);
            assertSame(renewed, tls.context(), "a broken file leaves the working certificate in place");
        }
    }
}
