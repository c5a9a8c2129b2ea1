using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Usher.Server.Access;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// <c>server.rate_limits</c> on <c>inference.GRPCInferenceService</c>: each inference and metadata call
/// takes a token for the model its message names (a server-wide call, for none), and each request of
/// a <c>ModelStreamInfer</c> stream takes one as it is read. Over a limit the call ends with
/// RESOURCE_EXHAUSTED and a <c>retry-after</c> trailer (a stream ends there too: its requests are
/// answered in order, so none can be skipped). Registered only when limits are configured.
/// </summary>
internal sealed class RateLimitInterceptor(ApiAccess access) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Acquire(context, request);
        return continuation(request, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return Limited(context) ? continuation(new LimitedReader<TRequest>(requestStream, m => Acquire(context, m)), responseStream, context) : continuation(requestStream, responseStream, context);
    }

    private void Acquire(ServerCallContext context, object? message)
    {
        if (access.Limits is not { } limits || !Limited(context))
        {
            return;
        }

        var endpoint = message switch
        {
            ModelInferRequest infer => infer.ModelName,
            ModelMetadataRequest metadata => metadata.Name,
            _ => null,
        };
        if (limits.TryAcquire(ApiAccess.CallerOf(context.GetHttpContext()), endpoint) is { } denied)
        {
            throw GrpcErrors.ToException(denied);
        }
    }

    private static bool Limited(ServerCallContext context)
        => context.GetHttpContext().GetEndpoint()?.Metadata.GetMetadata<ApiAccessAttribute>() is not null;

    private sealed class LimitedReader<T>(IAsyncStreamReader<T> inner, Action<T> acquire) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            acquire(inner.Current);
            return true;
        }
    }
}
