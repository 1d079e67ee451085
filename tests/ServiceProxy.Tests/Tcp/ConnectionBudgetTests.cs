using CsCheck;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class ConnectionBudgetTests
{
    [Theory]
    [InlineData(300, 177, false, 13)] // (300 - 177 - 96) / 2
    [InlineData(300, 177, true, 10)] // (300 - 177 - 96) * 2 / 5
    [InlineData(1_048_576, 200, true, 419_312)]
    [InlineData(65_536, 150, false, 32_645)]
    public void The_default_is_what_the_descriptors_left_after_the_reserve_fit(long limit, int open, bool splice, int expected) =>
        Assert.Equal(expected, ConnectionBudget.Derive(limit, open, splice));

    [Fact]
    public void A_limit_too_low_for_the_reserve_still_admits_one_and_an_unknown_limit_admits_all()
    {
        Assert.Equal(1, ConnectionBudget.Derive(100, 90, splice: true));
        Assert.Equal(int.MaxValue, ConnectionBudget.Derive(null, 90, splice: true));
    }

    [Fact]
    public void Connections_and_their_pipes_stay_within_the_descriptors_left_after_the_reserve()
    {
        Gen.Select(Gen.Long[400, 10_000_000], Gen.Int[0, 300], Gen.Bool).Sample((limit, open, splice) =>
        {
            var connections = ConnectionBudget.Derive(limit, open, splice);
            var descriptors = 2L * connections + (splice ? 2L * ConnectionBudget.MaxPipes(connections) : 0);
            return connections >= 1 && descriptors <= limit - open - ConnectionBudget.ReservedDescriptors;
        });
    }

    [Fact]
    public async Task Concurrent_acquires_never_admit_more_than_the_max()
    {
        var budget = new ConnectionBudget(50);
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (budget.TryAcquire())
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        Assert.Equal(50, admitted);
        Assert.Equal(50, budget.Open);
        budget.Release();
        Assert.True(budget.TryAcquire());
        Assert.False(budget.TryAcquire());
    }
}
