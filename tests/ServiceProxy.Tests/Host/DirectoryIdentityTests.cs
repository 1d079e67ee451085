using System.Diagnostics;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Tests.Host;

public sealed class DirectoryIdentityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("svcproxy-identity-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Device_and_inode_are_those_stat_reports()
    {
        var identity = DirectoryIdentity.Of(_root);

        var start = new ProcessStartInfo("stat", ["-L", "-c", "%i %Hd %Ld", _root]) { RedirectStandardOutput = true };
        using var stat = Process.Start(start)!;
        var fields = (await stat.StandardOutput.ReadToEndAsync()).Split(' ', StringSplitOptions.TrimEntries).Select(ulong.Parse).ToArray();
        await stat.WaitForExitAsync();

        Assert.NotNull(identity);
        Assert.Equal(fields[0], identity.Value.Inode);
        Assert.Equal((fields[1] << 32) | fields[2], identity.Value.Device);
        Assert.NotEqual(0UL, identity.Value.MountId);
    }

    [Fact]
    public void A_directory_is_itself_each_time_and_through_a_symbolic_link()
    {
        var link = Path.Combine(_root, "link");
        Directory.CreateSymbolicLink(link, _root);

        Assert.Equal(DirectoryIdentity.Of(_root), DirectoryIdentity.Of(_root));
        Assert.Equal(DirectoryIdentity.Of(_root), DirectoryIdentity.Of(link));
    }

    [Fact]
    public void A_directory_made_where_another_was_renamed_away_is_another_directory()
    {
        var path = Directory.CreateDirectory(Path.Combine(_root, "manifests")).FullName;
        var before = DirectoryIdentity.Of(path);

        Directory.Move(path, path + "-moved");
        Directory.CreateDirectory(path);

        Assert.NotNull(before);
        Assert.NotEqual(before, DirectoryIdentity.Of(path));
        Assert.Equal(before, DirectoryIdentity.Of(path + "-moved"));
    }

    [Fact]
    public void A_missing_directory_has_no_identity() =>
        Assert.Null(DirectoryIdentity.Of(Path.Combine(_root, "missing")));
}
