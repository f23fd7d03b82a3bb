package dev.duet.protocol.tls;

import dev.duet.protocol.logging.RateLimitedLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.LoggerFactory;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * After the TLS handshake, checks that the peer's certificate says it is {@code expectedRole} (its subject's
 * {@code OU}) and then steps aside; a peer of another role, or any byte before the check, closes the connection.
 */
final class PeerRoleCheck extends ChannelInboundHandlerAdapter {
    private static final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(PeerRoleCheck.class));

    private final String expectedRole;

    PeerRoleCheck(String expectedRole) {
        this.expectedRole = expectedRole;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                log.warn("mux_tls_handshake", "mux TLS handshake with {} failed: {}", ctx.channel().remoteAddress(),
                        handshake.cause().toString());
                ctx.close();
                return;
            }
            String role = role(ctx);
            if (!expectedRole.equals(role)) {
                log.warn("mux_tls_role", "closing mux connection {}: its certificate is for '{}', not '{}'",
                        ctx.channel().remoteAddress(), role, expectedRole);
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private static String role(ChannelHandlerContext ctx) {
        try {
            Certificate[] chain = ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
            String subject = ((X509Certificate) chain[0]).getSubjectX500Principal().getName();
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("OU")) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (SSLPeerUnverifiedException | InvalidNameException | ClassCastException e) {
            return null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        ctx.close();
    }
}
