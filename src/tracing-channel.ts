import diagnostics from 'node:diagnostics_channel'

/*
 * ioredis and pino ask a TracingChannel whether anyone listens
 * (`hasSubscribers`, Node's since 20.13) before they trace a command or a log
 * line. Bun's TracingChannel has no such getter, and both take its absence
 * for a listener: under Bun every Redis command was wrapped in a traced
 * promise with its arguments copied out for a subscriber that did not exist,
 * a twentieth of a page view's CPU. This adds Node's getter where it is
 * missing; a real subscriber (an OpenTelemetry instrumentation) still turns
 * tracing on.
 */
const prototype = Object.getPrototypeOf(diagnostics.tracingChannel('taproom:probe'))
if (!('hasSubscribers' in prototype)) {
  Object.defineProperty(prototype, 'hasSubscribers', {
    configurable: true,
    get(this: diagnostics.TracingChannel<object, object>) {
      return (
        this.start.hasSubscribers ||
        this.end.hasSubscribers ||
        this.asyncStart.hasSubscribers ||
        this.asyncEnd.hasSubscribers ||
        this.error.hasSubscribers
      )
    },
  })
}
