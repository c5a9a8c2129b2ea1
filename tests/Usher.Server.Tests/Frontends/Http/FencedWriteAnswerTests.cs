using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// A request whose write of the rollout controller was fenced (this replica no longer leads) is
/// answered 503 with <c>Retry-After</c> and the refusal's message, through the server's own error
/// handling; any other exception stays a 500.
/// </summary>
public sealed class FencedWriteAnswerTests
{
    [Fact]
    public async Task A_fenced_write_is_answered_503_with_Retry_After_and_both_terms_not_500()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.UseUsherErrors();
        app.MapPost("/fenced", () => { throw new LeadershipLostException(4, 5); });
        app.MapPost("/broken", () => { throw new InvalidOperationException("a bug"); });
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var fenced = await client.PostAsync(new Uri("/fenced", UriKind.Relative), null);
        using var broken = await client.PostAsync(new Uri("/broken", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, fenced.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), fenced.Headers.RetryAfter?.Delta);
        using var body = JsonDocument.Parse(await fenced.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error").GetString();
        Assert.StartsWith("this replica no longer leads the rollout controller: it wrote under controller term 4, but the shared state is at term 5", error, StringComparison.Ordinal);
        Assert.EndsWith("; retry shortly (the new leader answers)", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
    }
}
