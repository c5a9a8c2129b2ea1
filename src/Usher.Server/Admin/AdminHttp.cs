using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Rollouts;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// What every admin route shares: the controller (503 while the repository loads), the body read
/// under a bound, and answers written as the DTOs of <see cref="AdminJsonContext"/> (docs/admin-api.md).
/// </summary>
internal static class AdminHttp
{
    private const long MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// Who the journal says acted: the admin token's name (<c>admin</c> for <c>admin.token</c>, the file's
    /// NAME for <c>admin.token_file</c>), or <see cref="RolloutController.Operator"/> when no token is in use.
    /// </summary>
    public static string Actor(HttpContext context)
        => !ReferenceEquals(context.User, AdminCredentials.Loopback) && context.User.Identity?.Name is { Length: > 0 } name
            ? name
            : RolloutController.Operator;

    public static async Task<RolloutController?> ControllerAsync(HttpContext context)
    {
        var controller = context.RequestServices.GetRequiredService<ControlPlaneHost>().Controller;
        if (controller is null)
        {
            context.Response.Headers.RetryAfter = "1";
            await HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "the control plane is starting (the repository is still loading); retry shortly").ConfigureAwait(false);
        }

        return controller;
    }

    public static async Task<JsonDocument?> ReadJsonAsync(HttpContext context)
    {
        using var body = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes").ConfigureAwait(false);
            return null;
        }

        try
        {
            return JsonDocument.Parse(body.Memory.ToArray());
        }
        catch (JsonException e)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"the body is not valid JSON: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Writes <paramref name="value"/> with the response's writer options (the inference API's encoder).</summary>
    public static Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
        => JsonResponse.WriteAsync(context, status, w => JsonSerializer.Serialize(w, value, typeInfo));

    public static Task WriteRolloutAsync(HttpContext context, ControlResult<Rollout> result, int status)
        => result.IsSuccess
            ? WriteAsync(context, status, RolloutDto.From(result.Value!), AdminJsonContext.Default.RolloutDto)
            : WriteErrorAsync(context, result.Error!);

    public static Task WriteErrorAsync(HttpContext context, ControlError error)
    {
        var status = error.Kind switch
        {
            ControlErrorKind.Invalid => StatusCodes.Status400BadRequest,
            ControlErrorKind.NotFound => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status409Conflict,
        };
        return WriteAsync(context, status, ErrorDto.From(error), AdminJsonContext.Default.ErrorDto);
    }
}
