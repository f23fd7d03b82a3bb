package dev.duet.chat.service;

import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.ClientFrameEncoder;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessageCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;

/**
 * The client protocol pipeline, the same for a mux stream and a direct connection: frames, Thrift messages, then a
 * {@link ChatSession}. A TLS handler, when the direct listener has one, goes in front of it.
 */
@ChannelHandler.Sharable
public final class ClientPipeline extends ChannelInitializer<Channel> {
    private final ChatOperations operations;
    private final int maxFrameSize;
    private final ClientFrameEncoder encoder;
    private final MessageCatalog catalog = MessageCatalog.server();

    public ClientPipeline(ChatOperations operations, int maxFrameSize) {
        this.operations = operations;
        this.maxFrameSize = maxFrameSize;
        this.encoder = new ClientFrameEncoder(maxFrameSize, ClientFrameEncoder.DEFAULT_COMPRESSION_THRESHOLD);
    }

    @Override
    protected void initChannel(Channel channel) {
        channel.pipeline().addLast(
                new ClientFrameDecoder(maxFrameSize, ClientFrames.DEFAULT_FRAME_TIMEOUT_MILLIS),
                encoder,
                new ThriftMessageCodec(catalog),
                new ChatSession(operations));
    }
}
