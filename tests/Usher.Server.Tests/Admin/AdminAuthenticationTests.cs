using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Admin;
using Usher.Server.Protos;
using Usher.Testing;

namespace Usher.Server.Tests.Admin;

/// <summary>
/// The admin credential guards endpoints, not path spellings: every admin route and the repository
/// control routes, as routing reaches them in any case, over REST and gRPC, with and without a token.
/// </summary>
public sealed class AdminAuthenticationTests : IDisposable
{
    private const string Token = "an-admin-token-of-some-length";
    private const string Remote = "203.0.113.7";

    // Every route that needs the admin credential, with its parameters filled in.
    private static readonly (string Method, string Path)[] Protected =
    [
        ("GET", "/admin/endpoints"),
        ("POST", "/admin/deployments"),
        ("GET", "/admin/endpoints/fraud/rollout"),
        ("POST", "/admin/endpoints/fraud/rollout/pause"),
        ("GET", "/admin/endpoints/fraud/history"),
        ("PUT", "/admin/endpoints/fraud/faults/1"),
        ("DELETE", "/admin/endpoints/fraud/faults/1"),
        ("GET", "/admin/endpoints/fraud/experiment"),
        ("GET", "/admin/dashboard/metrics"),
        ("GET", "/admin/dashboard/models"),
        ("POST", "/v2/repository/models/fraud/load"),
        ("POST", "/v2/repository/models/fraud/unload"),
        ("GET", "/v2/models/fraud/versions/2/artifact"),
    ];

    private readonly TempDirectory _repo = new();

    public static TheoryData<string, string> Spellings()
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, path) in Protected)
        {
            foreach (var spelling in Spell(path))
            {
                data.Add(method, spelling);
            }
        }

        return data;
    }

    public AdminAuthenticationTests() => SampleRepository.CopySample(_repo.Path, "fraud");

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task EveryAdminAndRepositoryControlEndpoint_CarriesTheAdminMetadata_AndNoDataPlaneEndpointDoes()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path);

        var endpoints = ((IEndpointRouteBuilder)app.App).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        var guarded = endpoints.Where(e => e.Metadata.GetMetadata<AdminAccessAttribute>() is not null).Select(e => e.RoutePattern.RawText!).ToHashSet(StringComparer.Ordinal);
        var admin = endpoints.Select(e => e.RoutePattern.RawText!).Where(p => p.StartsWith("/admin", StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal).ToList();

        Assert.Equal(10, admin.Count); // 8 (with /admin/replicas) + the dashboard's /admin/dashboard/metrics and /models
        Assert.All(admin, p => Assert.Contains(p, guarded));
        Assert.Contains("/v2/repository/models/{model}/load", guarded);
        Assert.Contains("/v2/repository/models/{model}/unload", guarded);
        Assert.Contains("/v2/models/{model}/versions/{version}/artifact", guarded);
        Assert.Contains("/inference.GRPCInferenceService/RepositoryModelLoad", guarded);
        Assert.Contains("/inference.GRPCInferenceService/RepositoryModelUnload", guarded);
        Assert.Equal(admin.Count + 5, guarded.Count);
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task ProtectedRoute_WithATokenSet_Answers401WithoutIt_InEverySpelling(string method, string path)
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.Token = Token);

        using var none = await app.Client.SendAsync(Request(method, path));
        using var wrong = await app.Client.SendAsync(Request(method, path, "Bearer " + Token + "x"));
        using var basic = await app.Client.SendAsync(Request(method, path, "Basic " + Token));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);

        // Nothing happened: the model still serves and no fault or rollout was set.
        Assert.True(app.Models.Find("fraud")?.NewestReady is not null);
        Assert.Empty(app.App.Services.GetRequiredService<Usher.Core.Routing.FaultInjector>().Faults);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    [InlineData("bEaReR")]
    public async Task ProtectedRoute_WithTheToken_AcceptsTheBearerSchemeInAnyCase(string scheme)
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.Token = Token);

        foreach (var (method, path) in Protected)
        {
            using var response = await app.Client.SendAsync(Request(method, path, $"{scheme}  {Token}"));
            Assert.True(
                response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task ProtectedRoute_WithoutAToken_Answers403ToARemoteClientInEverySpelling_AndServesLoopback(string method, string path)
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, configure: b => b.Services.AddSingleton<IStartupFilter>(new RemoteAddressFilter()));

        var remote = Request(method, path);
        remote.Headers.Add(RemoteAddressFilter.Header, Remote);
        using var remoteResponse = await app.Client.SendAsync(remote);
        var local = Request(method, path);
        local.Headers.Add(RemoteAddressFilter.Header, "127.0.0.1");
        using var localResponse = await app.Client.SendAsync(local);

        Assert.Equal(HttpStatusCode.Forbidden, remoteResponse.StatusCode);
        Assert.Contains("only loopback clients", await remoteResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(HttpStatusCode.Forbidden, localResponse.StatusCode);
    }

    [Fact]
    public async Task RepositoryIndexAndInference_NeedNoToken()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.Token = Token);

        using var index = await app.Client.PostAsync(new Uri("/v2/repository/index", UriKind.Relative), null);
        using var metadata = await app.Client.GetAsync(new Uri("/V2/MODELS/fraud", UriKind.Relative));
        var grpcIndex = await app.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest());

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Contains(grpcIndex.Models, m => m.Name == "fraud");
    }

    [Fact]
    public async Task GrpcRepositoryControl_WithATokenSet_IsUnauthenticatedWithoutIt_AndWorksWithIt()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.Token = Token);

        var unload = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "fraud" }));
        var load = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.RepositoryModelLoadAsync(
            new RepositoryModelLoadRequest { ModelName = "fraud" }, new Metadata { { "authorization", "Bearer wrong-token-of-some-length" } }));

        Assert.Equal(StatusCode.Unauthenticated, unload.StatusCode);
        Assert.Contains("admin.token", unload.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, load.StatusCode);
        Assert.NotNull(app.Models.Find("fraud")?.NewestReady);

        await app.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "fraud" }, new Metadata { { "authorization", "bearer " + Token } });
        Assert.Null(app.Models.Find("fraud")?.NewestReady);
    }

    [Fact]
    public async Task GrpcRepositoryControl_WithoutAToken_IsPermissionDeniedToARemoteClient()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, configure: b => b.Services.AddSingleton<IStartupFilter>(new RemoteAddressFilter()));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.RepositoryModelUnloadAsync(
            new RepositoryModelUnloadRequest { ModelName = "fraud" }, new Metadata { { RemoteAddressFilter.Header, Remote } }));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.NotNull(app.Models.Find("fraud")?.NewestReady);
    }

    [Theory]
    [InlineData("Bearer TOKEN", true)]
    [InlineData("bearer TOKEN", true)]
    [InlineData("  BEARER   TOKEN  ", true)]
    [InlineData("Bearer token", false)]
    [InlineData("Bearer TOKEN2", false)]
    [InlineData("BearerTOKEN", false)]
    [InlineData("Basic TOKEN", false)]
    [InlineData("TOKEN", false)]
    [InlineData("", false)]
    public void Bearer_TakesTheSchemeIgnoringCase_AndTheTokenComparesExactly(string header, bool expected)
    {
        var tokens = new Usher.Server.Access.CredentialSet([new Usher.Server.Access.Credential("admin", Usher.Server.Access.CredentialSet.HashOf("TOKEN"))]);

        Assert.Equal(expected, tokens.Find(AdminAuthentication.Bearer(header)) is not null);
    }

    // The path as written, upper case, each segment capitalised, one segment's last letter upper
    // case, and with a trailing slash: routing accepts them all. Route values keep their case.
    private static IEnumerable<string> Spell(string path)
    {
        static string Fixed(string s) => s.Replace("/FRAUD", "/fraud", StringComparison.Ordinal).Replace("/Fraud", "/fraud", StringComparison.Ordinal);
        var segments = path.Split('/');
        string[] spellings =
        [
            path,
            Fixed(path.ToUpperInvariant()),
            Fixed(string.Join('/', segments.Select(s => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..]))),
            string.Join('/', segments.Select((s, i) => i == 2 ? s[..^1] + char.ToUpperInvariant(s[^1]) : s)),
            path + "/",
        ];
        return spellings.Distinct(StringComparer.Ordinal);
    }

    private static HttpRequestMessage Request(string method, string path, string? authorization = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }
}
