using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2h45m", 9_900_000)]
    [InlineData("0", 0)]
    [InlineData("-1s", -1_000)]
    public void Parses_go_durations(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void Parses_sub_millisecond_units()
    {
        Assert.True(GoDuration.TryParse("1500us", out var micro));
        Assert.Equal(TimeSpan.FromMicroseconds(1500), micro);
        Assert.True(GoDuration.TryParse("300ns", out var nano));
        Assert.Equal(TimeSpan.FromTicks(3), nano);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("5d")]
    [InlineData("1..5s")]
    [InlineData("99999999999999h")]
    [InlineData("99999999999999999999h")]
    [InlineData("9999999999999999999999999999h")]
    [InlineData("1h99999999999999999999h")]
    public void Rejects_what_go_rejects(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _));
    }
}
