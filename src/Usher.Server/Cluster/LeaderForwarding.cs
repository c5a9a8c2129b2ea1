using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Admin;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Cluster;

/// <summary>
/// Admin calls that change the shared state (deploy, promote, pause, resume, rollback, and setting or
/// clearing a fault) run where the rollout controller runs: each calls <see cref="ForwardAsync"/>
/// first, and a replica that does not lead forwards them, as they came (method, path,
/// query, body, <c>Authorization</c>), to the leader's address in the registry and answers with the
/// leader's answer. With a state file (one machine), or on the leader, nothing is forwarded. A call
/// is forwarded once: a forwarded call that reaches a replica which no longer leads is answered 503.
/// A call that arrives while the leadership is settling (at start, during a takeover) waits up to 5 s.
/// A call handled here then pins the leader's term (<see cref="BeginHere"/>): its writes are checked
/// against the term it was taken under.
/// </summary>
internal static class LeaderForwarding
{
    /// <summary>The header a forwarded call carries: the id of the replica that forwarded it.</summary>
    public const string ForwardedByHeader = "x-usher-forwarded-by";

    /// <summary>The header of a forwarded answer: the leader that gave it.</summary>
    public const string LeaderHeader = "x-usher-leader";

    private const long MaxBodyBytes = 1024 * 1024;

    // A call that arrives while this replica takes over, or while no replica leads yet, waits this
    // long for the leadership to settle before it is answered 503.
    private static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(5);

    // One client for the process: the leader's address changes rarely, its connections are reused.
    private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>
    /// Forwards the call to the leader when this replica shares its state and does not lead, and
    /// writes the answer; false when the call is to be handled here.
    /// </summary>
    public static async Task<bool> ForwardAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<ControlPlaneHost>().Cluster;
        if (cluster is null || await cluster.LeadsAsync(SettleWait, context.RequestAborted).ConfigureAwait(false))
        {
            return false;
        }

        if (context.Request.Headers.ContainsKey(ForwardedByHeader))
        {
            await Unavailable(context, $"replica {cluster.Member.Identity.Id} was sent this call as the leader, but it does not lead (the leadership is moving); retry shortly").ConfigureAwait(false);
            return true;
        }

        var leader = await cluster.LeaderAddressAsync(context.RequestAborted).ConfigureAwait(false);
        if (leader is null)
        {
            await Unavailable(context, "no replica leads the rollout controller at the moment (one takes over within a few seconds of the last one's end); retry shortly").ConfigureAwait(false);
            return true;
        }

        MediaTypeHeaderValue? contentType = null;
        if (context.Request.ContentType is { } type && !MediaTypeHeaderValue.TryParse(type, out contentType))
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"the Content-Type '{type}' is not a media type; expected application/json").ConfigureAwait(false);
            return true;
        }

        using var body = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes").ConfigureAwait(false);
            return true;
        }

        var target = new Uri(new Uri(leader), context.Request.Path + context.Request.QueryString);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (body.Memory.Length > 0)
        {
            request.Content = new ByteArrayContent(body.Memory.ToArray());
            request.Content.Headers.ContentType = contentType;
        }

        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        request.Headers.Add(ForwardedByHeader, cluster.Member.Identity.Id);
        HttpResponseMessage answer;
        try
        {
            answer = await Client.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status502BadGateway, $"this replica does not lead; the leader at {leader} could not be reached: {e.Message}").ConfigureAwait(false);
            return true;
        }

        using (answer)
        {
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.Headers[LeaderHeader] = leader;
            if (answer.Content.Headers.ContentType is { } answerType)
            {
                context.Response.ContentType = answerType.ToString();
            }

            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// For a call <see cref="ForwardAsync"/> left to this replica: pins the controller term it is
    /// handled under for the rest of the handler (<see cref="ReplicaCluster.BeginWork"/>), so that its
    /// writes are refused once another leadership has begun, even when this replica leads again by
    /// the time they are made (an admin call runs under its request's token, which a leadership's end
    /// does not cancel). Null with a state file (one machine: no term). Call it right after
    /// <see cref="ForwardAsync"/>, with <c>using</c>, in the handler itself: the pin holds for the
    /// async flow that takes it.
    /// </summary>
    public static ControlPlane.Persistence.Postgres.ControllerFence.TermScope? BeginHere(HttpContext context)
        => context.RequestServices.GetRequiredService<ControlPlaneHost>().Cluster?.BeginWork();

    private static Task Unavailable(HttpContext context, string message)
    {
        context.Response.Headers.RetryAfter = "1";
        return HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, message);
    }
}
