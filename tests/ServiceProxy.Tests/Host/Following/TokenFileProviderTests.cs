using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Host.Following;

namespace ServiceProxy.Tests.Host.Following;

public sealed class TokenFileProviderTests : IDisposable
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("svcproxy-token-").FullName, "token");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    private static async Task<string?> TokenAsync(TokenFileProvider provider) =>
        (await provider.GetAuthenticationHeaderAsync(CancellationToken.None)).Parameter;

    [Fact]
    public async Task A_changed_file_is_read_again_within_a_second_and_an_unreadable_one_keeps_the_last_token()
    {
        var time = new FakeTimeProvider();
        File.WriteAllText(_path, "first-token\n");
        var provider = new TokenFileProvider(_path, time);
        Assert.Equal("first-token", await TokenAsync(provider));

        File.WriteAllText(_path, "second-token-longer");
        Assert.Equal("first-token", await TokenAsync(provider)); // looked at no more than once a second
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("second-token-longer", await TokenAsync(provider));

        File.Delete(_path); // mid-rotation
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("second-token-longer", await TokenAsync(provider));

        File.WriteAllText(_path, "third");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("third", await TokenAsync(provider));
    }

    [Fact]
    public void A_file_that_cannot_be_read_at_start_is_an_error()
    {
        Assert.Throws<FileNotFoundException>(() => new TokenFileProvider(_path));
    }
}
