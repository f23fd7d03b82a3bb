package dev.duet.bench.edge;

import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator's trust in the edges' certificate, counting how each handshake ended: Netty asks a
 * {@link ResumableX509ExtendedTrustManager} to check the server's chain on a full handshake and to
 * {@linkplain #resumeServerTrusted resume} its trust on a resumed one, so the counts say from the client's side whether
 * the handshakes meant to resume did.
 */
final class ResumptionCounter extends X509ExtendedTrustManager implements ResumableX509ExtendedTrustManager {
    private final X509ExtendedTrustManager trusted;
    private final AtomicLong full = new AtomicLong();
    private final AtomicLong resumed = new AtomicLong();

    private ResumptionCounter(X509ExtendedTrustManager trusted) {
        this.trusted = trusted;
    }

    /** Trusts the one certificate in the PEM file {@code certificate}. */
    static ResumptionCounter trusting(Path certificate) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            store.setCertificateEntry("edge", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return new ResumptionCounter((X509ExtendedTrustManager) factory.getTrustManagers()[0]);
    }

    long full() {
        return full.get();
    }

    long resumed() {
        return resumed.get();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        trusted.checkServerTrusted(chain, authType, engine);
        full.incrementAndGet();
    }

    @Override
    public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) {
        resumed.incrementAndGet();
    }

    @Override
    public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        throw notAServer();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        trusted.checkServerTrusted(chain, authType, socket);
        full.incrementAndGet();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        trusted.checkServerTrusted(chain, authType);
        full.incrementAndGet();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw notAServer();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw notAServer();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw notAServer();
    }

    private static CertificateException notAServer() {
        return new CertificateException("a load generator is never the server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trusted.getAcceptedIssuers();
    }
}
