// The test suite runs Express 4 through the aliased devDependency `express4`; its API matches
// what `@types/express` describes for the parts the tests use.
declare module 'express4' {
  import express from 'express'
  export default express
}
