using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>
/// The client of the server's admin API (<c>/admin/...</c>, JSON, snake_case): one method per route,
/// each answering an <see cref="AdminResult"/>. Failures are values whose message says what to fix;
/// nothing here throws for a refused connection or an error status.
/// </summary>
internal sealed class AdminClient(HttpClient http, ClientOptions options)
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    /// <summary><c>GET /admin/endpoints</c>: every endpoint with its variants, rollout and faults.</summary>
    public Task<AdminResult> GetEndpointsAsync(CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, "admin/endpoints", null, cancellationToken);

    /// <summary>
    /// <c>POST /admin/deployments</c>: starts a rollout from a spec and answers its status; with
    /// <paramref name="dryRun"/> (<c>?dry_run=true</c>) only validates it and answers the normalized spec.
    /// </summary>
    public Task<AdminResult> DeployAsync(JsonObject spec, CancellationToken cancellationToken, bool dryRun = false)
        => SendAsync(HttpMethod.Post, dryRun ? "admin/deployments?dry_run=true" : "admin/deployments", spec?.ToJsonString(), cancellationToken);

    /// <summary><c>GET /admin/endpoints/{e}/rollout</c>: the active or last rollout.</summary>
    public Task<AdminResult> GetRolloutAsync(string endpoint, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, $"admin/endpoints/{Segment(endpoint)}/rollout", null, cancellationToken);

    /// <summary><c>POST /admin/endpoints/{e}/rollout/{action}</c>, with <c>{"reason": ...}</c> when one is given.</summary>
    public Task<AdminResult> ActAsync(string endpoint, RolloutAction action, string? reason, CancellationToken cancellationToken, long? version = null)
    {
        var body = reason is null && version is null
            ? null
            : JsonSerializer.Serialize(new RolloutActionDto(reason, version), AdminJsonContext.Default.RolloutActionDto);
        var name = action.ToString().ToLowerInvariant();
        return SendAsync(HttpMethod.Post, $"admin/endpoints/{Segment(endpoint)}/rollout/{name}", body, cancellationToken);
    }

    /// <summary><c>GET /admin/endpoints/{e}/experiment</c>: the A/B test's or bandit's results.</summary>
    public Task<AdminResult> GetExperimentAsync(string endpoint, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, $"admin/endpoints/{Segment(endpoint)}/experiment", null, cancellationToken);

    /// <summary><c>GET /admin/endpoints/{e}/history</c>: the endpoint's audit events.</summary>
    public Task<AdminResult> GetHistoryAsync(string endpoint, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, $"admin/endpoints/{Segment(endpoint)}/history", null, cancellationToken);

    /// <summary><c>PUT /admin/endpoints/{e}/faults/{version}</c>: sets the fault injected into one version.</summary>
    public Task<AdminResult> SetFaultAsync(string endpoint, long version, FaultDto fault, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Put, FaultPath(endpoint, version), JsonSerializer.Serialize(fault, AdminJsonContext.Default.FaultDto), cancellationToken);

    /// <summary>
    /// <c>DELETE /admin/endpoints/{e}/faults/{version}</c>: clears the fault for every replica, or with
    /// <paramref name="replica"/> (<c>?replica=ID</c>) that replica's own.
    /// </summary>
    public Task<AdminResult> ClearFaultAsync(string endpoint, long version, string? replica, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Delete, replica is null ? FaultPath(endpoint, version) : $"{FaultPath(endpoint, version)}?replica={Segment(replica)}", null, cancellationToken);

    /// <summary><c>GET /admin/replicas</c>: the replicas of the shared state's registry.</summary>
    public Task<AdminResult> GetReplicasAsync(CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, "admin/replicas", null, cancellationToken);

    private static string FaultPath(string endpoint, long version)
        => $"admin/endpoints/{Segment(endpoint)}/faults/{version.ToString(CultureInfo.InvariantCulture)}";

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private async Task<AdminResult> SendAsync(HttpMethod method, string path, string? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri(), path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (options.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        HttpResponseMessage response;
        string text;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return Unreachable(ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Unreachable($"no answer within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            return Interpret(response, text);
        }
    }

    // The server's base URL may carry a path prefix (behind a proxy): keep it, and end it with '/'
    // so that relative paths append to it instead of replacing its last segment.
    private Uri BaseUri()
    {
        var text = options.Server.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    private AdminResult Unreachable(string detail)
        => AdminResult.Failure(new AdminError(
            AdminErrorKind.Unreachable,
            null,
            $"cannot reach the Usher server at {options.Server.OriginalString}: {detail} (is `usher serve` running? set --server or {ClientOptions.ServerVariable})",
            []));

    private AdminResult Interpret(HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var json = TryParse(text);
        if (response.IsSuccessStatusCode)
        {
            return json is { ValueKind: JsonValueKind.Object } body
                ? AdminResult.Success(body)
                : AdminResult.Failure(new AdminError(
                    AdminErrorKind.BadResponse,
                    status,
                    $"the server at {options.Server.OriginalString} answered HTTP {status} without a JSON object (got '{Shorten(text)}'); is it an Usher server of the same version?",
                    []));
        }

        var (message, problems) = ReadError(json, text, response);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var fix = options.Token is null
                ? $"the server at {options.Server.OriginalString} needs an admin token; pass --token or set {ClientOptions.TokenVariable}"
                : $"the server at {options.Server.OriginalString} refused the admin token; check --token or {ClientOptions.TokenVariable}";
            return AdminResult.Failure(new AdminError(AdminErrorKind.Unauthorized, status, $"HTTP 401: {message}: {fix}", problems));
        }

        return AdminResult.Failure(new AdminError(AdminErrorKind.Refused, status, $"HTTP {status} {Reason(response)}: {message}", problems));
    }

    private static (string Message, IReadOnlyList<string> Problems) ReadError(JsonElement? json, string text, HttpResponseMessage response)
    {
        if (json is { ValueKind: JsonValueKind.Object } body && AdminDto.Read(body, AdminJsonContext.Default.ErrorDto) is { } error)
        {
            return (error.Error ?? Shorten(text), error.Problems ?? []);
        }

        return (text.Length == 0 ? Reason(response).ToLowerInvariant() : Shorten(text), []);
    }

    private static string Reason(HttpResponseMessage response)
        => response.ReasonPhrase is { Length: > 0 } phrase ? phrase : response.StatusCode.ToString();

    private static JsonElement? TryParse(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : string.Concat(line.AsSpan(0, 200), "...");
    }
}
