using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Usher.Core.Inference;

namespace Usher.Server.Admin;

/// <summary>
/// Audits admin actions: every admin request that changes something (and the model download) is a
/// structured log event with the token's name, the action, the target and the status. (Not a second
/// entry in the control plane's journal: the rollout actions and faults already write their own
/// there, with the same name as the actor, <see cref="AdminHttp.Actor"/>.) Refused requests are
/// logged too, without what they carried.
/// </summary>
internal sealed partial class AdminAudit(ILogger<AdminAudit> logger)
{
    /// <summary>The key of <see cref="HttpContext.Items"/> where a handler names its target when the route does not (a deployment's endpoint, a gRPC call's model).</summary>
    public static readonly object TargetKey = new();

    /// <summary>Whether the request reached an action that is audited.</summary>
    public static bool IsAudited(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            || context.GetEndpoint()?.Metadata.GetMetadata<AuditedReadAttribute>() is not null;
    }

    /// <summary>Records the finished action of <paramref name="context"/>.</summary>
    public void Record(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var actor = context.User.Identity?.Name ?? AdminCredentials.LoopbackName;
        var action = $"{context.Request.Method} {EchoText.Value(context.Request.Path.Value ?? string.Empty)}";
        Log.Action(logger, actor, action, Target(context) ?? "-", Outcome(context));
    }

    /// <summary>Logs a refused admin request: where from, what it asked and why, never what it carried.</summary>
    public void Refused(HttpContext context, int status, string why)
    {
        ArgumentNullException.ThrowIfNull(context);
        Log.Refused(logger, $"{context.Request.Method} {EchoText.Value(context.Request.Path.Value ?? string.Empty)}", context.Connection.RemoteIpAddress?.ToString() ?? "-", status, why);
    }

    // A gRPC call answers HTTP 200 and puts its outcome in the grpc-status trailer (or header, trailers-only).
    private static string Outcome(HttpContext context)
    {
        var response = context.Response;
        if (response.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            var code = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer
                ? trailer
                : response.Headers["grpc-status"].ToString();
            return $"grpc-status {code}";
        }

        return response.StatusCode.ToString(CultureInfo.InvariantCulture);
    }

    private static string? Target(HttpContext context)
    {
        if (context.Items.TryGetValue(TargetKey, out var named) && named is string target)
        {
            return target;
        }

        var values = context.Request.RouteValues;
        return (values["endpoint"] ?? values["model"]) as string;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Core.Telemetry.LogEvents.AdminAudit, Level = LogLevel.Information, Message = "admin {Action} on {Target} by {Actor}: {Status}")]
        public static partial void Action(ILogger logger, string actor, string action, string target, string status);

        [LoggerMessage(EventId = Core.Telemetry.LogEvents.AdminRefused, Level = LogLevel.Warning, Message = "admin {Action} from {Remote} refused with {Status}: {Why}")]
        public static partial void Refused(ILogger logger, string action, string remote, int status, string why);
    }
}
