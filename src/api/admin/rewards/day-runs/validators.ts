import { z } from "@medusajs/framework/zod"

export const AdminListDayRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).default(0),
})
export type AdminListDayRunsQueryType = z.infer<typeof AdminListDayRunsQuery>

export const AdminCloseDaysBody = z.object({}).strict()
