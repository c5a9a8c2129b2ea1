using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Telemetry;
using Usher.Server.Access;
using Usher.Testing;

namespace Usher.Server.Tests.Access;

/// <summary>admin.token_file: named tokens, reloaded on fake time, and every admin action audited with the token's name.</summary>
public sealed class AdminTokenFileTests : IDisposable
{
    private const string Ops = "ops-token-0123456789";
    private const string Ci = "ci-token-abcdefghijkl";
    private readonly TempDirectory _repo = new();
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _log = new();

    public AdminTokenFileTests() => SampleRepository.CopySample(_repo.Path, "fraud");

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task AnAdminAction_IsAuditedWithTheTokensName_AndTheFileReloads()
    {
        var tokens = _dir.Combine("admin-tokens");
        File.WriteAllText(tokens, $"ops {Ops}\n");
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.TokenFile = tokens, configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(_time);
            b.Logging.AddProvider(_log);
        });

        using var fault = await Send(app, HttpMethod.Put, "/admin/endpoints/fraud/faults/1", Ops, "{\"abort_fraction\": 0.5}");
        using var wrong = await Send(app, HttpMethod.Delete, "/admin/endpoints/fraud/faults/1", Ci);

        File.WriteAllText(tokens, $"ops {Ops}\nci {Ci}\n");
        _time.Advance(CredentialFileWatcher.PollInterval);
        using var cleared = await Send(app, HttpMethod.Delete, "/admin/endpoints/fraud/faults/1", Ci);

        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        var logged = _log.Entries.Where(e => e.EventId == LogEvents.AdminAudit).Select(e => e.Message).ToList();
        Assert.Equal(["admin PUT /admin/endpoints/fraud/faults/1 on fraud by ops: 200", "admin DELETE /admin/endpoints/fraud/faults/1 on fraud by ci: 200"], logged);
        Assert.Single(_log.Entries, e => e.EventId == LogEvents.AdminRefused);
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains(Ops, StringComparison.Ordinal) || e.Message.Contains(Ci, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RolloutActionsAndFaults_AreJournaledWithTheTokensName_NotAsOperator()
    {
        var tokens = _dir.Combine("admin-tokens");
        File.WriteAllText(tokens, $"ops {Ops}\nci {Ci}\n");
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.TokenFile = tokens, configure: b => b.Services.AddSingleton<TimeProvider>(_time));

        using var deploy = await Send(app, HttpMethod.Post, "/admin/deployments", Ci, """{"endpoint": "fraud", "version": 1, "strategy": "canary", "canary": {"steps": [10, 100], "interval": "1h"}}""");
        Assert.True(deploy.StatusCode == HttpStatusCode.Created, await deploy.Content.ReadAsStringAsync());
        using var pause = await Send(app, HttpMethod.Post, "/admin/endpoints/fraud/rollout/pause", Ops);
        using var resume = await Send(app, HttpMethod.Post, "/admin/endpoints/fraud/rollout/resume", Ci);
        using var fault = await Send(app, HttpMethod.Put, "/admin/endpoints/fraud/faults/1", Ops, "{\"abort_fraction\": 0.5}");
        using var cleared = await Send(app, HttpMethod.Delete, "/admin/endpoints/fraud/faults/1", Ci);
        using var rollback = await Send(app, HttpMethod.Post, "/admin/endpoints/fraud/rollout/rollback", Ops);
        Assert.All(new[] { pause, resume, fault, cleared, rollback }, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        using var history = await Send(app, HttpMethod.Get, "/admin/endpoints/fraud/history", Ops);
        using var json = System.Text.Json.JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        var actors = json.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("actor").GetString() != "controller")
            .Select(e => $"{e.GetProperty("kind").GetString()} by {e.GetProperty("actor").GetString()}")
            .ToList();
        Assert.Equal(["deploy by ci", "pause by ops", "resume by ci", "fault by ops", "fault_cleared by ci", "rollback by ops"], actors);
    }

    private static async Task<HttpResponseMessage> Send(UsherApp app, HttpMethod method, string path, string token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return await app.Client.SendAsync(request);
    }
}
