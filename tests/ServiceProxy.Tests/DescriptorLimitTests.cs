using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests;

/// <summary>
/// Counts and limits of the whole process: tests running beside these would open and close
/// descriptors between two counts, so they run alone.
/// </summary>
[CollectionDefinition(nameof(WholeProcessCollection), DisableParallelization = true)]
public sealed class WholeProcessCollection;

[Collection(nameof(WholeProcessCollection))]
public sealed class DescriptorLimitTests
{
    [Fact]
    public void The_soft_limit_is_raised_to_the_hard_one()
    {
        Assert.True(Libc.TryGetDescriptorLimit(out var soft, out var hard));
        Assert.Equal(0, Libc.SetDescriptorLimit(soft - 1, hard)); // one below: harmless to tests running beside this one
        Assert.Equal((long)soft - 1, DescriptorLimit.Soft);

        Assert.Equal(hard == Libc.RLIM_INFINITY ? null : (long)hard, DescriptorLimit.RaiseSoftToHard());
    }

    [Fact]
    public void Open_descriptors_are_counted()
    {
        var before = DescriptorLimit.OpenNow()!.Value;
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream();
        Assert.InRange(DescriptorLimit.OpenNow()!.Value, before + 1, before + 50);
    }
}
