using Microsoft.Extensions.Time.Testing;
using Usher.Gateway.Retries;

namespace Usher.Gateway.Tests.Retries;

public sealed class RetryBudgetTests
{
    [Fact]
    public void TryWithdraw_AllowsTheFloorPlusTheRatioOfRequestsInTheWindow()
    {
        var budget = new RetryBudget(new FakeTimeProvider(), TimeSpan.FromSeconds(10), ratio: 0.1, floor: 5);
        for (var i = 0; i < 200; i++)
        {
            budget.Deposit();
        }

        // 5 + 0.1 × 200 = 25 retries, then none.
        Assert.Equal(25, Enumerable.Range(0, 100).Count(_ => budget.TryWithdraw()));
    }

    [Fact]
    public void TryWithdraw_RequestsAndRetriesLeaveTheWindowAsTimePasses()
    {
        var time = new FakeTimeProvider();
        var budget = new RetryBudget(time, TimeSpan.FromSeconds(10), ratio: 0.1, floor: 0);
        for (var i = 0; i < 100; i++)
        {
            budget.Deposit();
        }

        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => budget.TryWithdraw()));

        // Half the window later the same requests and retries still count.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.TryWithdraw());

        // A whole window later both have left it: no requests, so no room (floor 0).
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(budget.TryWithdraw());
        for (var i = 0; i < 30; i++)
        {
            budget.Deposit();
        }

        Assert.Equal(3, Enumerable.Range(0, 50).Count(_ => budget.TryWithdraw()));
    }
}
