using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ActorStream.SchemaRegistry.Internal.Http;

/// <summary>
/// Every failure becomes a Confluent error body <c>{"error_code", "message"}</c>: refused requests with their 4xx code,
/// Kestrel's own rejections (e.g. a body over the size limit) with theirs, unmatched routes and methods with 404/405,
/// and only genuine server faults with 500/50001 (logged).
/// </summary>
internal static class ErrorHandling
{
    public static void UseRegistryErrors(this WebApplication app, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (RegistryException ex) when (!context.Response.HasStarted)
            {
                await RegistryHttp.WriteErrorAsync(context, ex.Status, ex.ErrorCode, ex.Message);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                var message = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "Request body is too large (actorstream.schema-registry.max-request-bytes)"
                    : ex.Message;
                await RegistryHttp.WriteErrorAsync(context, ex.StatusCode, ex.StatusCode, message);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
            catch (Exception ex) when (!context.Response.HasStarted)
            {
                logger.LogError(ex, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
                await RegistryHttp.WriteErrorAsync(context, 500, 50001, $"Error in the backend data store: {ex.GetType().Name}: {ex.Message}");
            }
        });

        app.UseStatusCodePages(async statusContext =>
        {
            var context = statusContext.HttpContext;
            var status = context.Response.StatusCode;
            var message = status switch
            {
                404 => $"HTTP 404 Not Found: no endpoint {context.Request.Path}",
                405 => $"HTTP 405 Method Not Allowed: {context.Request.Method} {context.Request.Path}",
                _ => $"HTTP {status}",
            };
            await RegistryHttp.WriteErrorAsync(context, status, status, message);
        });
    }
}
