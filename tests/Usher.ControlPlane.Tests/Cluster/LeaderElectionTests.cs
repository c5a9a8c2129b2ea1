using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Cluster;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>The rollout controller's leader election on a PostgreSQL advisory lock, on a real server.</summary>
public sealed class LeaderElectionTests
{
    private static readonly ClusterOptions Options = new();

    [SkippableFact]
    public async Task When_the_leaders_session_is_terminated_another_candidate_leads_and_the_old_one_knows_it_lost()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var changes = new ConcurrentQueue<(string Id, bool Leads)>();
        await using var a = Stand(source, "a", time, changes);
        await using var b = Stand(source, "b", time, changes);
        await using var c = Stand(source, "c", time, changes);
        Candidate[] all = [a, b, c];
        foreach (var candidate in all)
        {
            await candidate.Election.StartAsync(CancellationToken.None);
        }

        await ClusterDatabase.EventuallyAsync(async () => await HolderAsync(source) is not null, "one candidate takes the lock");
        var firstId = await HolderAsync(source);
        var first = all.Single(x => x.Id == firstId);
        await ClusterDatabase.EventuallyAsync(() => first.Election.IsLeader, "the holder knows it leads");
        Assert.Equal(first.Id, await LeaderElection.CurrentLeaderAsync(source, CancellationToken.None));
        var term = first.Election.Leadership;
        Assert.False(term.IsCancellationRequested);
        Assert.Single(all, x => x.Election.IsLeader);

        await source.TerminateHolderAsync();

        // The others take the lock at their next poll; the old leader notices at its own.
        await ClusterDatabase.EventuallyAsync(
            async () => await HolderAsync(source) is { } holder && holder != first.Id && !first.Election.IsLeader,
            "another candidate leads and the old one stepped down",
            () => time.Advance(Options.LeaderPollInterval));
        var secondId = await HolderAsync(source);
        var second = all.Single(x => x.Id == secondId);
        await ClusterDatabase.EventuallyAsync(() => second.Election.IsLeader, "the new holder knows it leads");
        Assert.True(term.IsCancellationRequested, "the old leadership's token is cancelled");
        Assert.False(await first.Election.ConfirmAsync(CancellationToken.None));
        Assert.True(await second.Election.ConfirmAsync(CancellationToken.None));
        Assert.Equal(new[] { (first.Id, true), (first.Id, false) }, changes.Where(x => x.Id == first.Id));
        Assert.Contains((second.Id, true), changes);
    }

    [SkippableFact]
    public async Task A_leader_cut_off_before_its_next_poll_fails_its_check_before_the_next_step()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        await using var pair = await ALeadsBStandsAsync(source, time);
        var (a, b) = (pair.A, pair.B);

        await source.TerminateHolderAsync();

        // No poll has run since (the fake clock stands still): a still believes it leads, and the
        // lock is free for b's next poll. The check before a controller step asks the session.
        Assert.True(a.Election.IsLeader);
        var term = a.Election.Leadership;
        Assert.False(await a.Election.ConfirmAsync(CancellationToken.None));
        Assert.False(a.Election.IsLeader);
        Assert.True(term.IsCancellationRequested);

        // The lock is free: the next poll gives it to one of the two. Usually b, whose session is
        // open; but a stands again on a new session, and on a loaded machine its poll can come first.
        await ClusterDatabase.EventuallyAsync(() => a.Election.IsLeader || b.Election.IsLeader, "a new leader", () => time.Advance(Options.LeaderPollInterval));
        Assert.False(a.Election.IsLeader && b.Election.IsLeader);
        Assert.NotEqual(term, (a.Election.IsLeader ? a : b).Election.Leadership);
    }

    [SkippableFact]
    public async Task A_leader_whose_session_stops_answering_steps_down_and_no_one_leads_until_the_server_drops_that_session()
    {
        // A split as the leader sees it: its backend is frozen (SIGSTOP), so its queries get no answer
        // while the server still holds the session, and the lock. The check's timeout is real time
        // (a network timeout, 2 s); the polls are on the fake clock.
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        await using var pair = await ALeadsBStandsAsync(source, time);
        var (a, b) = (pair.A, pair.B);
        var pid = Assert.NotNull(await HolderPidAsync(source));
        var term = a.Election.Leadership;

        ClusterDatabase.Signal("STOP", pid);
        try
        {
            await ClusterDatabase.EventuallyAsync(() => !a.Election.IsLeader, "a steps down when its check gets no answer", () => time.Advance(Options.LeaderPollInterval));
            Assert.True(term.IsCancellationRequested);

            // The server still holds the frozen session's lock: b's polls find it taken.
            for (var poll = 0; poll < 3; poll++)
            {
                time.Advance(Options.LeaderPollInterval);
                await Task.Delay(50);
            }

            Assert.False(b.Election.IsLeader);
            Assert.Equal(pid, await HolderPidAsync(source));
        }
        finally
        {
            ClusterDatabase.Signal("CONT", pid);
        }

        // The session ends (its client had closed it), the lock with it, and a candidate takes over.
        await ClusterDatabase.EventuallyAsync(
            async () => (a.Election.IsLeader || b.Election.IsLeader) && await HolderPidAsync(source) is { } holder && holder != pid,
            "a new session leads",
            () => time.Advance(Options.LeaderPollInterval));
        Assert.False(a.Election.IsLeader && b.Election.IsLeader);
    }

    [SkippableFact]
    public async Task Candidates_never_both_confirm_leadership_while_leaders_are_killed_in_turn()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var candidates = new List<Candidate>();
        for (var i = 0; i < 3; i++)
        {
            candidates.Add(Stand(source, $"c{i}", time, null));
            await candidates[^1].Election.StartAsync(CancellationToken.None);
        }

        try
        {
            var leaders = new HashSet<string>();
            for (var round = 0; round < 6; round++)
            {
                await ClusterDatabase.EventuallyAsync(async () => await HolderAsync(source) is not null, "someone holds the lock", () => time.Advance(Options.LeaderPollInterval));
                for (var look = 0; look < 5; look++)
                {
                    var confirmed = new List<string>();
                    foreach (var candidate in candidates)
                    {
                        if (await candidate.Election.ConfirmAsync(CancellationToken.None))
                        {
                            confirmed.Add(candidate.Id);
                        }
                    }

                    Assert.True(confirmed.Count <= 1, $"round {round}: {string.Join(", ", confirmed)} all confirmed leadership");
                    if (confirmed.Count == 1)
                    {
                        Assert.Equal(confirmed[0], await HolderAsync(source));
                        leaders.Add(confirmed[0]);
                    }

                    time.Advance(Options.LeaderPollInterval);
                    await Task.Delay(10);
                }

                await source.TerminateHolderAsync();
            }

            Assert.True(leaders.Count >= 2, $"leadership moved between candidates: {string.Join(", ", leaders)}");
        }
        finally
        {
            foreach (var candidate in candidates)
            {
                await candidate.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task A_leader_that_stops_releases_the_lock_for_the_next_candidate()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        await using var pair = await ALeadsBStandsAsync(source, time);
        var (a, b) = (pair.A, pair.B);

        await a.Election.StopAsync(CancellationToken.None);

        Assert.False(a.Election.IsLeader);
        await ClusterDatabase.EventuallyAsync(() => b.Election.IsLeader, "b leads", () => time.Advance(Options.LeaderPollInterval));
        Assert.Equal("b", await LeaderElection.CurrentLeaderAsync(source, CancellationToken.None));
    }

    private static async Task<string?> HolderAsync(NpgsqlDataSource source)
    {
        await using var command = source.CreateCommand(ClusterDatabase.HolderSql);
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task<int?> HolderPidAsync(NpgsqlDataSource source)
    {
        await using var command = source.CreateCommand($"SELECT pid FROM ({ClusterDatabase.HolderSql}) holder");
        return await command.ExecuteScalarAsync() as int?;
    }

    // a stands first and leads; b stands behind it.
    private static async Task<Pair> ALeadsBStandsAsync(NpgsqlDataSource source, TimeProvider time)
    {
        var pair = new Pair(Stand(source, "a", time, null), Stand(source, "b", time, null));
        await pair.A.Election.StartAsync(CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => pair.A.Election.IsLeader, "a leads");
        await pair.B.Election.StartAsync(CancellationToken.None);
        return pair;
    }

    private static Candidate Stand(NpgsqlDataSource source, string id, TimeProvider time, ConcurrentQueue<(string, bool)>? changes)
    {
        var election = new LeaderElection(source, id, Options, time, NullLogger.Instance);
        if (changes is not null)
        {
            election.LeadershipChanged += leads => changes.Enqueue((id, leads));
        }

        return new Candidate(id, election);
    }
}

internal sealed record Candidate(string Id, LeaderElection Election) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Election.DisposeAsync();
}

internal sealed record Pair(Candidate A, Candidate B) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
