using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class DescriptorReserveTests
{
    [Fact]
    public async Task Pending_clients_are_reset_through_the_reserved_descriptor_which_is_then_held_again()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Libc.SetNonBlocking((int)listener.SafeHandle.DangerousGetHandle());
        using var reserve = new DescriptorReserve();
        Assert.True(reserve.Ensure());
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(listener.LocalEndPoint!);
        await second.ConnectAsync(listener.LocalEndPoint!);

        Assert.Equal(2, reserve.ResetPending((int)listener.SafeHandle.DangerousGetHandle()));

        foreach (var client in new[] { first, second })
        {
            var error = Assert.Throws<SocketException>(() => client.Receive(new byte[1]));
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        }

        Assert.Equal(0, reserve.ResetPending((int)listener.SafeHandle.DangerousGetHandle()));
        Assert.True(reserve.Ensure());
    }
}
