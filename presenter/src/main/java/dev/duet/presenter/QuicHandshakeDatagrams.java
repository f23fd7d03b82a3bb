package dev.duet.presenter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/**
 * Sits before the QUIC codec and ends the read batch after each handshake datagram (a long-header packet), so the
 * codec drives quiche's handshake on before it reads the next datagram. Netty runs BoringSSL's certificate selection
 * as a task and quiche resumes the handshake only when it next sends: a client's 0-RTT datagrams read in the same
 * batch as its ClientHello found no early-data key yet, were buffered by quiche, and waited for the client's next
 * packet — a round trip later, which is all 0-RTT was meant to save. Short-header (1-RTT) datagrams, all of them
 * once connections are up, are batched as before.
 */
@ChannelHandler.Sharable
final class QuicHandshakeDatagrams extends ChannelInboundHandlerAdapter {
    private static final int LONG_HEADER = 0x80;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean handshake = msg instanceof DatagramPacket packet && isLongHeader(packet.content());
        ctx.fireChannelRead(msg);
        if (handshake) {
            ctx.fireChannelReadComplete();
        }
    }

    private static boolean isLongHeader(ByteBuf datagram) {
        return datagram.isReadable() && (datagram.getByte(datagram.readerIndex()) & LONG_HEADER) != 0;
    }
}
