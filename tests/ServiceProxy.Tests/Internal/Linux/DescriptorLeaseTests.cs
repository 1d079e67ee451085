using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class DescriptorLeaseTests
{
    [Fact]
    public void A_lease_holds_the_descriptor_until_released_once()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        Assert.True(DescriptorLease.TryTake(socket, out var lease));
        Assert.True(lease.IsHeld);
        Assert.Equal((int)socket.SafeHandle.DangerousGetHandle(), lease.Fd);

        lease.Release();
        lease.Release(); // idempotent: a second release must not drop the socket's own reference
        Assert.False(lease.IsHeld);
        Assert.False(socket.SafeHandle.IsClosed);
    }

    [Fact]
    public void A_closed_socket_gives_no_lease()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();

        Assert.False(DescriptorLease.TryTake(socket, out var lease));
        Assert.False(lease.IsHeld);
        Assert.Throws<ObjectDisposedException>(() => DescriptorLease.Take(socket));
    }
}
